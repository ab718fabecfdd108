"""safer requests: idempotency keys of server-to-server writes; codes bound to a device (PKCE)
and each app's PKCE policy; how each install was registered (for the migration report) and a
switch to refuse legacy registrations

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_idempotency_keys_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("app_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        "ix_idempotency_keys_app_id_expires_at", "idempotency_keys", ["app_id", "expires_at"]
    )
    # Plain ADD COLUMN on both backends (no batch copy: on SQLite the copy of `apps` would
    # cascade-delete every row that references an app; see 0005).
    op.add_column("auth_codes", sa.Column("code_challenge", sa.String(length=64), nullable=True))
    op.add_column(
        "apps",
        sa.Column("pkce_policy", sa.String(length=16), nullable=False, server_default="optional"),
    )
    op.add_column(
        "apps",
        sa.Column(
            "legacy_registration_enabled", sa.Boolean(), nullable=False, server_default=sa.true()
        ),
    )
    # code | legacy. Installs made before: those a code's redemption recorded are the code
    # flow's; every other install was registered by a legacy init.
    op.add_column("installs", sa.Column("registered_via", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE installs SET registered_via = CASE WHEN EXISTS "
        "(SELECT 1 FROM auth_codes WHERE auth_codes.install_id = installs.id) "
        "THEN 'code' ELSE 'legacy' END"
    )


def downgrade() -> None:
    op.drop_column("installs", "registered_via")
    op.drop_column("apps", "legacy_registration_enabled")
    op.drop_column("apps", "pkce_policy")
    op.drop_column("auth_codes", "code_challenge")
    op.drop_index("ix_idempotency_keys_app_id_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
