from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from userlink.models import webhook_endpoints as endpoints
from userlink.models import webhook_messages as messages
from userlink.webhooks.rules import Status

_ENQUEUE = insert(messages)
# What enqueueing needs of an app's endpoints: read once per app per cache period.
_SUBSCRIBED = select(endpoints.c.id, endpoints.c.event_types).where(endpoints.c.enabled.is_(True))


class WebhookRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def count_unfinished(self) -> dict[str, int]:
        """Messages still to deliver (pending) and given up (dead), over every app."""
        query = (
            select(messages.c.status, func.count())
            .where(messages.c.status.in_((Status.PENDING, Status.DEAD)))
            .group_by(messages.c.status)
        )
        counts = {Status.PENDING: 0, Status.DEAD: 0}
        counts.update({row[0]: int(row[1]) for row in self._connection.execute(query)})
        return counts

    # Endpoints

    def add_endpoint(self, values: dict[str, Any]) -> None:
        self._connection.execute(insert(endpoints).values(**values))

    def endpoint(self, app_id: uuid.UUID, endpoint_id: uuid.UUID) -> RowMapping | None:
        query = select(endpoints).where(endpoints.c.app_id == app_id, endpoints.c.id == endpoint_id)
        return self._connection.execute(query).mappings().first()

    def endpoints_of(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(endpoints)
            .where(endpoints.c.app_id == app_id)
            .order_by(endpoints.c.created_at, endpoints.c.id)
        )
        return self._connection.execute(query).mappings().all()

    def count_endpoints(self, app_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(endpoints).where(endpoints.c.app_id == app_id)
        return int(self._connection.execute(query).scalar_one())

    def subscribed(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        query = _SUBSCRIBED.where(endpoints.c.app_id == app_id)
        return self._connection.execute(query).mappings().all()

    def update_endpoint(
        self, app_id: uuid.UUID, endpoint_id: uuid.UUID, values: dict[str, Any]
    ) -> RowMapping | None:
        statement = (
            update(endpoints)
            .where(endpoints.c.app_id == app_id, endpoints.c.id == endpoint_id)
            .values(**values)
            .returning(*endpoints.c)
        )
        return self._connection.execute(statement).mappings().first()

    def delete_endpoint(self, app_id: uuid.UUID, endpoint_id: uuid.UUID) -> bool:
        # The endpoint's messages first: SQLite's foreign keys may be off (no cascade).
        if self.endpoint(app_id, endpoint_id) is None:
            return False
        self._connection.execute(delete(messages).where(messages.c.endpoint_id == endpoint_id))
        self._connection.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))
        return True

    def disable_gone(self, endpoint_id: uuid.UUID, reason: str, now: datetime) -> RowMapping | None:
        statement = (
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(enabled=False, disabled_reason=reason, updated_at=now)
            .returning(endpoints.c.app_id)
        )
        return self._connection.execute(statement).mappings().first()

    # Messages

    def enqueue(self, rows: Sequence[dict[str, Any]]) -> None:
        if len(rows) == 1:
            self._connection.execute(_ENQUEUE, rows[0])
        elif rows:
            self._connection.execute(_ENQUEUE, list(rows))

    def message(self, endpoint_id: uuid.UUID, message_id: str) -> RowMapping | None:
        query = select(messages).where(
            messages.c.endpoint_id == endpoint_id, messages.c.message_id == message_id
        )
        return self._connection.execute(query).mappings().first()

    def messages_of(
        self,
        endpoint_id: uuid.UUID,
        *,
        status: str | None,
        before_id: int | None,
        limit: int,
    ) -> Sequence[RowMapping]:
        query = (
            select(messages)
            .where(messages.c.endpoint_id == endpoint_id)
            .order_by(messages.c.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(messages.c.status == status)
        if before_id is not None:
            query = query.where(messages.c.id < before_id)
        return self._connection.execute(query).mappings().all()

    def reschedule(self, message_row_id: int, now: datetime) -> None:
        """A delivered or dead message made pending again, with a new retry window."""
        self._connection.execute(
            update(messages)
            .where(messages.c.id == message_row_id)
            .values(
                status=Status.PENDING,
                attempts=0,
                next_attempt_at=now,
                retry_from=now,
                finished_at=None,
            )
        )

    def claim(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[RowMapping]:
        """Due pending messages of enabled endpoints, taken for one attempt: on PostgreSQL
        `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows; the UPDATE's guard
        (still due) makes the claim exclusive on SQLite too. Until `lease_until` no other worker
        takes them; a worker that dies mid-attempt leaves them to be taken again then."""
        due = (
            select(messages.c.id)
            .join(endpoints, endpoints.c.id == messages.c.endpoint_id)
            .where(
                messages.c.status == Status.PENDING,
                messages.c.next_attempt_at <= now,
                endpoints.c.enabled.is_(True),
            )
            .order_by(messages.c.next_attempt_at, messages.c.id)
            .limit(limit)
            .with_for_update(of=messages, skip_locked=True)
        )
        ids = list(self._connection.execute(due).scalars())
        if not ids:
            return []
        claimed = self._connection.execute(
            update(messages)
            .where(
                messages.c.id.in_(ids),
                messages.c.status == Status.PENDING,
                messages.c.next_attempt_at <= now,
            )
            .values(
                attempts=messages.c.attempts + 1, next_attempt_at=lease_until, last_attempt_at=now
            )
            .returning(messages.c.id)
        )
        taken = list(claimed.scalars())
        if not taken:
            return []
        query = (
            select(
                messages,
                endpoints.c.url,
                endpoints.c.secret_sealed,
                endpoints.c.previous_secret_sealed,
                endpoints.c.previous_secret_expires_at,
            )
            .join(endpoints, endpoints.c.id == messages.c.endpoint_id)
            .where(messages.c.id.in_(taken))
            .order_by(messages.c.id)
        )
        return self._connection.execute(query).mappings().all()

    def hand_back(self, message_row_id: int, attempts: int, now: datetime) -> None:
        """Undo a claim (attempt number `attempts`) that was not attempted; nothing when the
        message was taken again since. A message never attempted shows no attempt time again."""
        values: dict[str, Any] = {"attempts": attempts - 1, "next_attempt_at": now}
        if attempts == 1:
            values["last_attempt_at"] = None
        self.record_attempt(message_row_id, attempts, values)

    def record_attempt(self, message_row_id: int, attempts: int, values: dict[str, Any]) -> bool:
        """The outcome of attempt number `attempts`; False when the message was taken again
        since (this worker's lease ran out), in which case nothing changes."""
        result = self._connection.execute(
            update(messages)
            .where(
                messages.c.id == message_row_id,
                messages.c.attempts == attempts,
                messages.c.status == Status.PENDING,
            )
            .values(**values)
        )
        return result.rowcount == 1
