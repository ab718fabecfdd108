"""apps: their own lists of external ids to refuse as placeholders and to allow

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("blocked_external_ids", "allowed_external_ids")


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no batch copy of `apps`: on SQLite the copy would
    # cascade-delete every row that references an app). Existing apps get empty lists.
    for column in COLUMNS:
        op.add_column(
            "apps", sa.Column(column, sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    # DROP COLUMN without a batch copy, for the same reason (SQLite 3.35 and later).
    for column in COLUMNS:
        op.drop_column("apps", column)
