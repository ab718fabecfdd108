"""Append-only audit log. Services call `record`; the unit of work writes every record of the
transaction in one statement just before it commits (`flush`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from userlink.audit.repository import AuditReader, AuditRepository
from userlink.audit.rules import AuditEvent
from userlink.kit import periods
from userlink.kit.clock import Clock, as_utc


class AuditLog:
    def __init__(self, connection: Connection, clock: Clock, request_ref: str | None) -> None:
        self._repository = AuditRepository(connection)
        self._clock = clock
        self._request_ref = request_ref
        self._pending: list[dict[str, Any]] = []
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
            }
        )

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self._repository.append(pending)
        self.written.extend(record["event"] for record in pending)


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
    )
