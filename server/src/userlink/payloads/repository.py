from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, literal, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from userlink.models import payloads


class PayloadRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_new(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the batch, skipping ids this install sent before; the client ids inserted.
        ON CONFLICT DO NOTHING makes two concurrent copies of one batch store each payload once."""
        dialect = self._connection.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(payloads)
            .on_conflict_do_nothing(index_elements=["install_id", "client_id"])
            .returning(payloads.c.client_id)
        )
        result = self._connection.execute(statement, rows)
        return set(result.scalars().all())

    def timeline_page(
        self, user_id: uuid.UUID, after: tuple[datetime, int] | None, limit: int
    ) -> Sequence[RowMapping]:
        query = (
            select(
                payloads.c.id,
                payloads.c.client_id,
                payloads.c.install_id,
                payloads.c.type,
                payloads.c.occurred_at,
                payloads.c.body,
            )
            .where(payloads.c.user_id == user_id, payloads.c.processed.is_(True))
            .order_by(payloads.c.occurred_at, payloads.c.id)
            .limit(limit)
        )
        if after is not None:
            moment, row_id = after
            # A row-value comparison, not an OR: both databases then seek the timeline index to
            # the cursor instead of filtering every earlier row (measured: 262 ms at the middle of
            # 1M payloads with the OR, bench/RESULTS.md).
            query = query.where(
                tuple_(payloads.c.occurred_at, payloads.c.id)
                > tuple_(
                    literal(moment, payloads.c.occurred_at.type),
                    literal(row_id, payloads.c.id.type),
                )
            )
        return self._connection.execute(query).mappings().all()

    def move_install(self, install_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self._connection.execute(
            update(payloads).where(payloads.c.install_id == install_id).values(user_id=user_id)
        )
