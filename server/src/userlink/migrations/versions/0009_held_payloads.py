"""installs: when and by which install the active role was taken (displacement); payloads: when a
held payload was merged into the timeline

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTALL_COLUMNS = ("displaced_at", "displaced_by", "displacement_reason")


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns on both backends (no batch copy: on SQLite the copy of
    # `installs` would cascade-delete every row that references an install). Existing rows have
    # no displacement on record and no merged payload.
    op.add_column("installs", sa.Column("displaced_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("installs", sa.Column("displaced_by", sa.Uuid(), nullable=True))
    op.add_column("installs", sa.Column("displacement_reason", sa.String(32), nullable=True))
    op.add_column("payloads", sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # DROP COLUMN without a batch copy, for the same reason (SQLite 3.35 and later).
    op.drop_column("payloads", "merged_at")
    for column in reversed(INSTALL_COLUMNS):
        op.drop_column("installs", column)
