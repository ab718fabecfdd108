from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select

from userlink.models import audit_events

# Built once: SQLAlchemy then finds the compiled form in its cache instead of building it again.
_APPEND = insert(audit_events)


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        # One call for the whole transaction: the driver sends several rows in one round trip
        # (psycopg's pipelined executemany; SQLite is in-process).
        if len(rows) == 1:
            self._connection.execute(_APPEND, rows[0])
        elif rows:
            self._connection.execute(_APPEND, list(rows))


def _page(before_id: int | None, limit: int) -> Any:
    query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_events.c.id < before_id)
    return query


class AuditReader:
    """Reading the log back, newest first, in pages keyed by id (the log only grows)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def everything(self, *, before_id: int | None, limit: int) -> Sequence[RowMapping]:
        return self._connection.execute(_page(before_id, limit)).mappings().all()
