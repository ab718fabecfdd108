from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert

from userlink.models import audit_events


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        # One multi-row INSERT: one round trip however many events the transaction recorded.
        if rows:
            self._connection.execute(insert(audit_events).values(list(rows)))
