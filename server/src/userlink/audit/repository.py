from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert

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
