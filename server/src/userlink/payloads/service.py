"""Payloads: stored once per client id; processed into the timeline only from the active install."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, Protocol

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.installs import service as installs
from userlink.installs.errors import InstallNotFound
from userlink.kit.clock import as_utc
from userlink.payloads import rules
from userlink.payloads.errors import (
    BatchTooLarge,
    DuplicatePayloadId,
    EmptyBatch,
    InvalidCursor,
    InvalidPayloadBody,
    InvalidTimeRange,
    InvalidTimestamp,
    PayloadTooLarge,
)
from userlink.payloads.repository import NewPayloads, PayloadRepository
from userlink.payloads.rules import HeldFilter
from userlink.sdk_credentials import service as credentials
from userlink.sdk_credentials.service import Displacement
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users


class IncomingPayload(Protocol):
    """A payload as the device sent it, its fields checked one by one (the HTTP edge's model)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def body(self) -> Any: ...


@dataclass(frozen=True)
class IngestResult:
    is_remote_enabled: bool
    client_ids: list[str]
    stored: set[str]  # the client ids stored now; the others were stored before (duplicates)
    stored_status: str  # processed | not_processed
    # Another install took the active role from this one (told to the SDK; see sdk_credentials).
    displacement: Displacement | None = None

    def statuses(self) -> list[str]:
        """One per payload, in the batch's order: processed, not_processed or duplicate."""
        stored, status = self.stored, self.stored_status
        return [status if client_id in stored else "duplicate" for client_id in self.client_ids]


@dataclass(frozen=True)
class TimelineEntry:
    client_id: str
    install_id: uuid.UUID
    type: str
    occurred_at: datetime
    body: Any


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class HeldEntry:
    client_id: str
    install_id: uuid.UUID
    type: str
    occurred_at: datetime
    received_at: datetime
    body: Any


@dataclass(frozen=True)
class HeldPage:
    entries: list[HeldEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class PreparedBatch:
    """A batch that passed every check, ready to store (bodies encoded once, times in UTC)."""

    payloads: NewPayloads


def prepare(batch: Sequence[IncomingPayload]) -> PreparedBatch:
    """Check a batch and encode it for storage. No database: the HTTP edge calls it before the
    unit of work, so a batch's checks never hold SQLite's one writer. Checked column by column in
    one pass each; a batch with a problem is checked again payload by payload, so the error names
    the first payload at fault (`_refuse`)."""
    if not batch:
        raise EmptyBatch()
    if len(batch) > rules.MAX_BATCH_SIZE:
        raise BatchTooLarge()
    encoded = rules.encode_bodies([payload.body for payload in batch])
    moments = rules.all_to_utc([payload.timestamp for payload in batch])
    client_ids = [payload.id for payload in batch]
    if (
        encoded is None
        or moments is None
        or max(map(len, encoded)) > rules.MAX_PAYLOAD_BYTES
        or len(set(client_ids)) != len(client_ids)
    ):
        _refuse(batch)
    return PreparedBatch(
        NewPayloads(
            client_ids=client_ids,
            types=[payload.type for payload in batch],
            occurred_at=moments,
            bodies=[text.decode("utf-8") for text in encoded],
        )
    )


def _refuse(batch: Sequence[IncomingPayload]) -> NoReturn:
    """The error of a batch that failed a check: the first payload's first problem, in the order
    body, timestamp, size; then a repeated id."""
    for payload in batch:
        encoded, problem = rules.encode_body(payload.body)
        if encoded is None:
            raise InvalidPayloadBody(f"Payload {payload.id}: its body cannot be stored, {problem}.")
        if rules.to_utc(payload.timestamp) is None:
            raise InvalidTimestamp(f"Payload {payload.id}: timestamp out of range.")
        if len(encoded) > rules.MAX_PAYLOAD_BYTES:
            size = len(encoded)
            raise PayloadTooLarge(f"Payload {payload.id} is {size} bytes; at most 65536.")
    duplicate = rules.first_duplicate([payload.id for payload in batch])
    raise DuplicatePayloadId(f"Payload id {duplicate} appears twice in this batch.")


def ingest(work: UnitOfWork, access_token: str, batch: PreparedBatch) -> IngestResult:
    """Store a batch for the install the access token belongs to."""
    # One statement checks the token and takes a shared lock on the install's user, the lock
    # handovers of the active role take exclusively: each payload is judged by the role the
    # install has when it is stored, processed or kept apart, never both.
    caller = credentials.authenticate(work, access_token, sharing_user_lock=True)
    processed = caller.is_active  # its own flag, and its app's remote switch
    stored = PayloadRepository(work.connection).insert_new(
        batch.payloads,
        app_id=caller.app_id,
        user_id=caller.user_id,
        install_id=caller.install_id,
        received_at=work.clock.now(),
        processed=processed,
    )
    return IngestResult(
        displacement=caller.displacement,  # None unless another install took the role
        is_remote_enabled=processed,
        client_ids=batch.payloads.client_ids,
        stored=stored,
        stored_status="processed" if processed else "not_processed",
    )


def timeline(
    work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None, cursor: str | None, limit: int
) -> TimelinePage:
    """Oldest first (the API): the page after `cursor`."""
    user = users.get_in_app(work, app_id, user_id)
    rows = PayloadRepository(work.connection).timeline_page(user.id, _decoded(cursor), limit + 1)
    return _page(rows, limit)


def timeline_newest_first(
    work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None, cursor: str | None, limit: int
) -> TimelinePage:
    """Newest first (the dashboard): the page of older entries before `cursor`."""
    user = users.get_in_app(work, app_id, user_id)
    rows = PayloadRepository(work.connection).timeline_page_newest_first(
        user.id, _decoded(cursor), limit + 1
    )
    return _page(rows, limit)


def _decoded(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    position = rules.decode_cursor(cursor)
    if position is None:
        raise InvalidCursor()
    return position


def _page(rows: Sequence[RowMapping], limit: int) -> TimelinePage:
    """A page from `limit + 1` rows: the extra one only says there is a next page."""
    entries = [
        TimelineEntry(
            client_id=row["client_id"],
            install_id=row["install_id"],
            type=row["type"],
            occurred_at=as_utc(row["occurred_at"]),
            body=row["body"],
        )
        for row in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = rules.encode_cursor(last["occurred_at"], last["id"])
    return TimelinePage(entries=entries, next_cursor=next_cursor)


def held(
    work: UnitOfWork,
    app_id: uuid.UUID,
    user_id: uuid.UUID | None,
    which: HeldFilter,
    cursor: str | None,
    limit: int,
) -> HeldPage:
    """The user's held payloads, in timeline order: the page after `cursor`."""
    user = users.get_in_app(work, app_id, user_id)
    which = _check_filter(work, user.id, which)
    rows = PayloadRepository(work.connection).held_page(user.id, which, _decoded(cursor), limit + 1)
    entries = [
        HeldEntry(
            client_id=row["client_id"],
            install_id=row["install_id"],
            type=row["type"],
            occurred_at=as_utc(row["occurred_at"]),
            received_at=as_utc(row["received_at"]),
            body=row["body"],
        )
        for row in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = rules.encode_cursor(last["occurred_at"], last["id"])
    return HeldPage(entries=entries, next_cursor=next_cursor)


def merge_held(
    work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None, which: HeldFilter, actor: str
) -> int:
    """Move the user's held payloads (all, or those `which` selects) into the timeline; how many
    moved. Under the user's row lock: an upload stores its payloads before or after, never
    during (it shares that lock), and a payload merged once is not held any more."""
    user = users.get_in_app(work, app_id, user_id)
    which = _check_filter(work, user.id, which)
    users.lock(work, user.id)
    merged = PayloadRepository(work.connection).merge_held(user.id, which, work.clock.now())
    work.audit.record(
        AuditEvent.HELD_PAYLOADS_MERGED,
        app_id=app_id,
        actor=actor,
        user_id=user.id,
        install_id=which.install_id,
        merged=merged,
        since=which.since.isoformat() if which.since else None,
        until=which.until.isoformat() if which.until else None,
    )
    return merged


def _check_filter(work: UnitOfWork, user_id: uuid.UUID, which: HeldFilter) -> HeldFilter:
    """The filter with its times in UTC; refused when they are out of range or out of order, or
    when the install is not one of the user's."""
    since = rules.to_utc(which.since) if which.since is not None else None
    until = rules.to_utc(which.until) if which.until is not None else None
    if (which.since is not None and since is None) or (which.until is not None and until is None):
        raise InvalidTimeRange("`since` and `until` must fall between 1970 and 9999 in UTC.")
    if since is not None and until is not None and since >= until:
        raise InvalidTimeRange()
    if which.install_id is not None:
        install = installs.find(work, which.install_id)
        if install is None or install.user_id != user_id:
            raise InstallNotFound("No install with this id belongs to this user.")
    return HeldFilter(install_id=which.install_id, since=since, until=until)


def move_install(work: UnitOfWork, install_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The install joined another user: its payloads follow it."""
    PayloadRepository(work.connection).move_install(install_id, user_id)
