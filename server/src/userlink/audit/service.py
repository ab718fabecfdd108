"""Append-only audit log. Services call `record`; the unit of work writes every record of the
transaction in one statement just before it commits (`flush`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from userlink.audit import rules
from userlink.audit.errors import (
    EventAlreadyUndone,
    InvalidEventCursor,
    InvalidEventType,
    InvalidTimeFilter,
)
from userlink.audit.repository import AuditReader, AuditRepository
from userlink.audit.rules import AuditEvent
from userlink.db import WritesAtEnd
from userlink.kit import periods
from userlink.kit.clock import Clock, as_utc


class AuditLog:
    def __init__(
        self,
        connection: Connection,
        clock: Clock,
        request_ref: str | None,
        at_end: WritesAtEnd,
    ) -> None:
        self._repository = AuditRepository(connection)
        self._at_end = at_end
        self._clock = clock
        self._request_ref = request_ref
        self._pending: list[dict[str, Any]] = []
        # Written before the flush (an undo writes its events at once): the flush returns them
        # with the rest, so the webhooks outbox sees every event of the transaction.
        self._written_early: list[dict[str, Any]] = []
        # The events written so far, by name: counted in the metrics once the transaction commits.
        self.written: list[str] = []

    def record(
        self,
        event: AuditEvent,
        *,
        app_id: uuid.UUID | None,
        actor: str | None = None,
        user_id: uuid.UUID | None = None,
        install_id: uuid.UUID | None = None,
        **details: Any,
    ) -> None:
        self._append(event, app_id, actor, user_id, install_id, None, details)

    def record_undo(
        self,
        *,
        app_id: uuid.UUID,
        actor: str,
        user_id: uuid.UUID,
        install_id: uuid.UUID | None,
        undoes_event_id: int,
        **details: Any,
    ) -> int:
        """Write an `event.undone` naming the event it reversed now, after the transaction's
        earlier events, and answer its id. The database holds an event to one undo: a second
        raises `EventAlreadyUndone` (the caller's transaction then rolls back)."""
        self._append(
            AuditEvent.EVENT_UNDONE, app_id, actor, user_id, install_id, undoes_event_id, details
        )
        pending, self._pending = self._pending, []
        *earlier, undo = pending
        self._repository.append(earlier)
        undo_id = self._repository.append_once(undo)
        if undo_id is None:
            raise EventAlreadyUndone()
        self._written_early += pending
        return undo_id

    def _append(
        self,
        event: AuditEvent,
        app_id: uuid.UUID | None,
        actor: str | None,
        user_id: uuid.UUID | None,
        install_id: uuid.UUID | None,
        undoes_event_id: int | None,
        details: dict[str, Any],
    ) -> None:
        self._pending.append(
            {
                "occurred_at": self._clock.now(),
                "event": event.value,
                "app_id": app_id,
                "actor": actor,
                "user_id": user_id,
                "install_id": install_id,
                "request_ref": self._request_ref,
                "details": details,
                # Every row carries every key: the transaction's rows go out in one statement.
                "undoes_event_id": undoes_event_id,
            }
        )

    def flush(self) -> list[dict[str, Any]]:
        """Hands the pending events to the unit of work's inserts at its end; returns every event
        of the transaction (the webhooks outbox is written from them)."""
        pending, self._pending = self._pending, []
        self._repository.append_at_end(self._at_end, pending)
        early, self._written_early = self._written_early, []
        every = early + pending
        self.written.extend(record["event"] for record in every)
        return every


@dataclass(frozen=True)
class RecordedEvent:
    id: int
    occurred_at: datetime
    event: str
    app_id: uuid.UUID | None
    actor: str | None
    user_id: uuid.UUID | None
    install_id: uuid.UUID | None
    request_ref: str | None
    details: dict[str, Any]
    undoes_event_id: int | None = None


def recent_events(
    connection: Connection, *, before_id: int | None = None, limit: int = 50
) -> list[RecordedEvent]:
    """The whole log, newest first (the operator's audit page)."""
    rows = AuditReader(connection).everything(before_id=before_id, limit=limit)
    return [_recorded(row) for row in rows]


def events_of_user(
    connection: Connection,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    before_id: int | None = None,
    limit: int = 50,
) -> list[RecordedEvent]:
    """A user's identity events, newest first (the dashboard's user page)."""
    rows = AuditReader(connection).of_user(app_id, user_id, before_id=before_id, limit=limit)
    return [_recorded(row) for row in rows]


@dataclass(frozen=True)
class LedgerPage:
    events: list[RecordedEvent]
    next_cursor: str | None


def ledger_of_user(
    connection: Connection,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
    types: Sequence[str],
    since: str | None,
    until: str | None,
) -> LedgerPage:
    """`GET /v2/users/{user_id}/events`: a page of the user's events, newest first, filtered by
    type and by time ([since, until)), with the cursor of the next page."""
    before_id = None
    if cursor is not None:
        before_id = rules.decode_cursor(cursor)
        if before_id is None:
            raise InvalidEventCursor()
    events = rules.parse_event_types(types)
    if events is None:
        raise InvalidEventType()
    start = _instant(since)
    end = _instant(until)
    if start is not None and end is not None and start > end:
        raise InvalidTimeFilter()
    rows = AuditReader(connection).of_user_filtered(
        app_id,
        user_id,
        before_id=before_id,
        limit=limit + 1,
        events=sorted(event.value for event in events),
        since=start,
        until=end,
    )
    page = [_recorded(row) for row in rows[:limit]]
    more = len(rows) > limit
    return LedgerPage(page, rules.encode_cursor(page[-1].id) if more and page else None)


def find_event(connection: Connection, app_id: uuid.UUID, event_id: int) -> RecordedEvent | None:
    row = AuditReader(connection).get(app_id, event_id)
    return _recorded(row) if row is not None else None


def undo_of(connection: Connection, event_id: int) -> RecordedEvent | None:
    """The `event.undone` that reversed this event, if any."""
    row = AuditReader(connection).undo_of(event_id)
    return _recorded(row) if row is not None else None


def facts(event: RecordedEvent) -> rules.LedgerFacts:
    joined = event.details.get("joined")
    return rules.LedgerFacts(
        id=event.id,
        event=event.event,
        occurred_at=event.occurred_at,
        user_id=event.user_id,
        install_id=event.install_id,
        joined=bool(joined) if joined is not None else None,
    )


def blocking_events(
    connection: Connection, app_id: uuid.UUID, event: RecordedEvent
) -> list[rules.LedgerFacts]:
    """The later events of the app that depend on `event` (rules.blocking_events), oldest
    first."""
    reader = AuditReader(connection)
    later = [
        facts(_recorded(row))
        for row in reader.later_touching(
            app_id,
            event.id,
            install_id=event.install_id,
            user_ids=[event.user_id] if event.user_id else [],
            events=sorted(rules.DEPENDENT_EVENTS),
        )
    ]
    undone = reader.undone_among([other.id for other in later])
    return rules.blocking_events(facts(event), later, undone)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = rules.parse_instant(text)
    if moment is None:
        raise InvalidTimeFilter()
    return moment


def per_day(
    connection: Connection, app_id: uuid.UUID, events: Sequence[AuditEvent], days: Sequence[date]
) -> dict[AuditEvent, list[int]]:
    """How many of each event the app recorded per UTC day, in the order of `days`."""
    counts = {event: [0] * len(days) for event in events}
    rows = AuditReader(connection).count_per_day(
        app_id, [event.value for event in events], periods.boundaries(days)
    )
    for row in rows:
        counts[AuditEvent(row["event"])][int(row["day"])] = int(row["events"])
    return counts


def _recorded(row: RowMapping) -> RecordedEvent:
    return RecordedEvent(
        id=row["id"],
        occurred_at=as_utc(row["occurred_at"]),
        event=row["event"],
        app_id=row["app_id"],
        actor=row["actor"],
        user_id=row["user_id"],
        install_id=row["install_id"],
        request_ref=row["request_ref"],
        details=dict(row["details"] or {}),
        undoes_event_id=row["undoes_event_id"],
    )
