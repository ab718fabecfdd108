"""wider device text columns, rotated refresh tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sdk_tokens", sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))
    # SQLite does not enforce VARCHAR lengths, and a batch copy of `installs` would cascade-delete
    # the rows that reference it: only PostgreSQL needs (and gets) the change.
    if op.get_bind().dialect.name == "sqlite":
        return
    with op.batch_alter_table("installs", schema=None) as batch_op:
        batch_op.alter_column(
            "os_version",
            existing_type=sa.VARCHAR(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "app_version",
            existing_type=sa.VARCHAR(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "sdk_version",
            existing_type=sa.VARCHAR(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("sdk_tokens") as batch_op:
        batch_op.drop_column("rotated_at")
    if op.get_bind().dialect.name == "sqlite":
        return
    with op.batch_alter_table("installs", schema=None) as batch_op:
        batch_op.alter_column(
            "sdk_version",
            existing_type=sa.String(length=128),
            type_=sa.VARCHAR(length=64),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "app_version",
            existing_type=sa.String(length=128),
            type_=sa.VARCHAR(length=64),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "os_version",
            existing_type=sa.String(length=128),
            type_=sa.VARCHAR(length=64),
            existing_nullable=True,
        )
