from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from userlink.db import RowsInsert, WritesAtEnd
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
        "undoes_event_id",
    ),
)
# One row with its id back (an undo, whose id the answer names).
_APPEND_ONE = insert(audit_events).returning(audit_events.c.id)


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        # One statement for the whole transaction's events.
        if rows:
            _APPEND.execute(self._connection, list(rows))

    def append_at_end(self, at_end: WritesAtEnd, rows: Sequence[dict[str, Any]]) -> None:
        """The rows, inserted with the unit of work's other inserts at its end."""
        at_end.add(_APPEND, list(rows))

    def append_once(self, row: dict[str, Any]) -> int | None:
        """Insert one row and answer its id; None when a unique constraint refuses it (the
        transaction stays usable: the attempt is in a savepoint)."""
        savepoint = self._connection.begin_nested()
        try:
            inserted = self._connection.execute(_APPEND_ONE, row)
            new_id = int(inserted.scalar_one())
        except IntegrityError:
            savepoint.rollback()
            return None
        savepoint.commit()
        return new_id


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

    def of_user_filtered(
        self,
        app_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        before_id: int | None,
        limit: int,
        events: Sequence[str],
        since: datetime | None,
        until: datetime | None,
    ) -> Sequence[RowMapping]:
        """One user's events of these types (all when empty) within [since, until), newest
        first."""
        conditions: list[Any] = [
            audit_events.c.app_id == app_id,
            audit_events.c.user_id == user_id,
        ]
        if events:
            conditions.append(audit_events.c.event.in_(events))
        if since is not None:
            conditions.append(audit_events.c.occurred_at >= since)
        if until is not None:
            conditions.append(audit_events.c.occurred_at < until)
        return self._connection.execute(_page(before_id, limit, *conditions)).mappings().all()

    def get(self, app_id: uuid.UUID, event_id: int) -> RowMapping | None:
        query = select(audit_events).where(
            audit_events.c.id == event_id, audit_events.c.app_id == app_id
        )
        return self._connection.execute(query).mappings().first()

    def undo_of(self, event_id: int) -> RowMapping | None:
        """The undo that reversed this event, if any."""
        query = select(audit_events).where(audit_events.c.undoes_event_id == event_id)
        return self._connection.execute(query).mappings().first()

    def later_touching(
        self,
        app_id: uuid.UUID,
        after_id: int,
        *,
        install_id: uuid.UUID | None,
        user_ids: Sequence[uuid.UUID],
        events: Sequence[str],
    ) -> Sequence[RowMapping]:
        """Events of these types recorded after `after_id` about this install or these users,
        oldest first."""
        about: list[Any] = [audit_events.c.user_id.in_(user_ids)]
        if install_id is not None:
            about.append(audit_events.c.install_id == install_id)
        query = (
            select(audit_events)
            .where(
                audit_events.c.app_id == app_id,
                audit_events.c.id > after_id,
                audit_events.c.event.in_(events),
                or_(*about),
            )
            .order_by(audit_events.c.id)
            .limit(100)
        )
        return self._connection.execute(query).mappings().all()

    def undone_among(self, event_ids: Sequence[int]) -> set[int]:
        """Which of these events an undo reversed."""
        if not event_ids:
            return set()
        query = select(audit_events.c.undoes_event_id).where(
            audit_events.c.undoes_event_id.in_(event_ids)
        )
        return {int(row[0]) for row in self._connection.execute(query)}

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
