from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select

from userlink.models import audit_events


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._connection.execute(insert(audit_events), list(rows))

    def list_recent(
        self,
        *,
        app_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        event: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[RowMapping]:
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if app_id is not None:
            query = query.where(audit_events.c.app_id == app_id)
        if user_id is not None:
            query = query.where(audit_events.c.user_id == user_id)
        if event is not None:
            query = query.where(audit_events.c.event == event)
        if since is not None:
            query = query.where(audit_events.c.occurred_at >= since)
        return self._connection.execute(query).mappings().all()
