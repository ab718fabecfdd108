"""the identity ledger: which event an undo reversed (once), and the app's undo window

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Seven days, the default undo window (apps/rules.py).
DEFAULT_UNDO_WINDOW_SECONDS = 7 * 24 * 3600


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no batch copy: on SQLite the copy of `apps` would
    # cascade-delete every row that references an app; `audit_events` is append-only).
    op.add_column(
        "apps",
        sa.Column(
            "undo_window_seconds",
            sa.Integer(),
            nullable=False,
            server_default=sa.text(str(DEFAULT_UNDO_WINDOW_SECONDS)),
        ),
    )
    op.add_column("audit_events", sa.Column("undoes_event_id", sa.BigInteger(), nullable=True))
    # An event is undone at most once, whatever the number of servers asked at the same time.
    op.create_index(
        "uq_audit_events_undoes_event_id", "audit_events", ["undoes_event_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_audit_events_undoes_event_id", table_name="audit_events")
    op.drop_column("audit_events", "undoes_event_id")
    op.drop_column("apps", "undo_window_seconds")
