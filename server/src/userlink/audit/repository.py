from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from userlink.db import RowsInsert
from userlink.kit.periods import day_index
from userlink.models import audit_events

_APPEND = RowsInsert(
    audit_events,
    (
        "occurred_at",
        "event",
        "app_id",
        "actor",
        "user_id",
        "install_id",
        "request_ref",
        "details",
    ),
)


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        # One statement for the whole transaction's events.
        if rows:
            _APPEND.execute(self._connection, list(rows))


def _page(before_id: int | None, limit: int, *conditions: Any) -> Any:
    query = select(audit_events).where(*conditions).order_by(audit_events.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_events.c.id < before_id)
    return query


class AuditReader:
    """Reading the log back, newest first, in pages keyed by id (the log only grows)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def everything(self, *, before_id: int | None, limit: int) -> Sequence[RowMapping]:
        return self._connection.execute(_page(before_id, limit)).mappings().all()

    def of_user(
        self, app_id: uuid.UUID, user_id: uuid.UUID, *, before_id: int | None, limit: int
    ) -> Sequence[RowMapping]:
        """One user's events (its installs' included), newest first."""
        query = _page(
            before_id, limit, audit_events.c.app_id == app_id, audit_events.c.user_id == user_id
        )
        return self._connection.execute(query).mappings().all()

    def count_per_day(
        self, app_id: uuid.UUID, events: Sequence[str], edges: Sequence[datetime]
    ) -> Sequence[RowMapping]:
        """Rows of (day, event, events) for the app's `events` between the first and last edge."""
        occurred_at = audit_events.c.occurred_at
        # The day computed in a subquery and grouped outside: the CASE's bound edges then appear
        # once, which PostgreSQL needs to match a GROUP BY expression.
        days = (
            select(day_index(occurred_at, edges).label("day"), audit_events.c.event)
            .where(
                audit_events.c.app_id == app_id,
                audit_events.c.event.in_(events),
                occurred_at >= edges[0],
                occurred_at < edges[-1],
            )
            .subquery()
        )
        query = select(days.c.day, days.c.event, func.count().label("events")).group_by(
            days.c.day, days.c.event
        )
        return self._connection.execute(query).mappings().all()
