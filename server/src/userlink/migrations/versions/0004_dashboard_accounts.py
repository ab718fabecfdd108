"""dashboard: organisations, accounts, memberships, sessions, invitations, recovery codes;
apps belong to an organisation and keep their previous secret during a rotation's overlap;
API keys say who made them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("is_operator", sa.Boolean(), nullable=False),
        sa.Column("totp_secret_sealed", sa.String(length=255), nullable=True),
        sa.Column("totp_enabled_at", TZ, nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "memberships",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_memberships_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_memberships_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "organisation_id", name=op.f("pk_memberships")),
    )
    op.create_index(
        op.f("ix_memberships_organisation_id"), "memberships", ["organisation_id"], unique=False
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_recovery_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_recovery_codes_account_id"), "recovery_codes", ["account_id"], unique=False
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_invitations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("second_factor_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dashboard_sessions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_dashboard_sessions_account_id"),
        "dashboard_sessions",
        ["account_id"],
        unique=False,
    )
    op.add_column("api_keys", sa.Column("created_by", sa.String(length=80), nullable=True))
    op.add_column("apps", sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
    op.add_column("apps", sa.Column("previous_secret_expires_at", TZ, nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch copy of `apps` would
        # cascade-delete everything that references it.
        op.execute(
            "ALTER TABLE apps ADD COLUMN organisation_id CHAR(32) "
            "CONSTRAINT fk_apps_organisation_id_organisations REFERENCES organisations (id)"
        )
    else:
        op.add_column("apps", sa.Column("organisation_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f("fk_apps_organisation_id_organisations"),
            "apps",
            "organisations",
            ["organisation_id"],
            ["id"],
        )
    op.create_index(op.f("ix_apps_organisation_id"), "apps", ["organisation_id"], unique=False)
    # The dashboard reads a user's identity events and counts an app's installs.
    op.create_index("ix_audit_events_user_id_id", "audit_events", ["user_id", "id"], unique=False)
    op.create_index(op.f("ix_installs_app_id"), "installs", ["app_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_installs_app_id"), table_name="installs")
    op.drop_index("ix_audit_events_user_id_id", table_name="audit_events")
    op.drop_index(op.f("ix_apps_organisation_id"), table_name="apps")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_apps_organisation_id_organisations"), "apps", type_="foreignkey"
        )
    op.drop_column("apps", "organisation_id")
    op.drop_column("apps", "previous_secret_expires_at")
    op.drop_column("apps", "previous_secret_hash")
    op.drop_column("api_keys", "created_by")
    op.drop_table("dashboard_sessions")
    op.drop_table("invitations")
    op.drop_table("recovery_codes")
    op.drop_table("memberships")
    op.drop_table("accounts")
    op.drop_table("organisations")
