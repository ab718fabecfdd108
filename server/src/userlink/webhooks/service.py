"""Webhook endpoints of an app, and the outbox: every identity event the unit of work flushes
becomes one message per enabled endpoint of its app subscribed to its type, in the same
transaction (`enqueue`, called by `Runtime`). Delivery is `webhooks/worker.py`'s."""

from __future__ import annotations

import base64
import secrets as stdlib_secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.kit.sealing import Sealer
from userlink.kit.ttl_cache import TtlCache
from userlink.unit_of_work import UnitOfWork
from userlink.webhooks import rules
from userlink.webhooks.errors import (
    InvalidEventTypes,
    InvalidSecretOverlap,
    InvalidWebhookDescription,
    InvalidWebhookUrl,
    TooManyWebhookEndpoints,
    WebhookEndpointNotFound,
    WebhookMessageNotFound,
    WebhookMessagePending,
)
from userlink.webhooks.repository import WebhookRepository
from userlink.webhooks.rules import Status

KNOWN_EVENT_TYPES = frozenset(event.value for event in AuditEvent)


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    app_id: uuid.UUID
    url: str
    description: str
    event_types: frozenset[str] | None  # None: every type
    enabled: bool
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: RowMapping) -> Endpoint:
        types = row["event_types"]
        expires = row["previous_secret_expires_at"]
        return cls(
            id=row["id"],
            app_id=row["app_id"],
            url=row["url"],
            description=row["description"],
            event_types=None if types is None else frozenset(types),
            enabled=row["enabled"],
            disabled_reason=row["disabled_reason"],
            previous_secret_expires_at=None if expires is None else as_utc(expires),
            created_at=as_utc(row["created_at"]),
            updated_at=as_utc(row["updated_at"]),
        )


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: Endpoint
    secret: str  # shown once


@dataclass(frozen=True)
class Message:
    serial: int
    message_id: str
    endpoint_id: uuid.UUID
    event_type: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime | None  # None once delivered or dead
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: RowMapping) -> Message:
        def moment(name: str) -> datetime | None:
            value = row[name]
            return None if value is None else as_utc(value)

        pending = row["status"] == Status.PENDING
        return cls(
            serial=row["id"],
            message_id=row["message_id"],
            endpoint_id=row["endpoint_id"],
            event_type=row["event_type"],
            body=row["body"],
            status=row["status"],
            attempts=row["attempts"],
            next_attempt_at=moment("next_attempt_at") if pending else None,
            last_attempt_at=moment("last_attempt_at"),
            last_status_code=row["last_status_code"],
            last_error=row["last_error"],
            created_at=as_utc(row["created_at"]),
            finished_at=moment("finished_at"),
        )


def sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, "webhooks")


def _sealer(work: UnitOfWork) -> Sealer:
    return sealer(work.settings.secret_key.get_secret_value())


def generate_secret() -> str:
    """`whsec_` and 32 random bytes in base64 (the Standard Webhooks secret format)."""
    return rules.SECRET_PREFIX + base64.b64encode(stdlib_secrets.token_bytes(32)).decode("ascii")


def _cache_key(app_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    return ("webhook_endpoints", app_id)


def _forget(work: UnitOfWork, app_id: uuid.UUID) -> None:
    """This process's changes bite at once: the next event reads the endpoints again."""
    work.lookups.discard(_cache_key(app_id))


def _checked_url(work: UnitOfWork, url: str) -> str:
    url = url.strip()
    if not rules.url_is_acceptable(
        url, insecure_allowed=work.settings.webhook_insecure_targets_allowed
    ):
        raise InvalidWebhookUrl()
    return url


def _checked_types(event_types: Sequence[str] | None) -> list[str] | None:
    if not rules.event_types_are_known(event_types, KNOWN_EVENT_TYPES):
        raise InvalidEventTypes(
            f"Unknown or no event types; known: {', '.join(sorted(KNOWN_EVENT_TYPES))}."
        )
    return None if event_types is None else sorted(set(event_types))


def _checked_description(description: str) -> str:
    if len(description) > rules.MAX_DESCRIPTION_LENGTH:
        raise InvalidWebhookDescription()
    return description


def create_endpoint(
    work: UnitOfWork,
    app_id: uuid.UUID,
    *,
    url: str,
    event_types: Sequence[str] | None = None,
    description: str = "",
    enabled: bool = True,
) -> EndpointWithSecret:
    repository = WebhookRepository(work.connection)
    values: dict[str, Any] = {
        "url": _checked_url(work, url),
        "event_types": _checked_types(event_types),
        "description": _checked_description(description),
    }
    if repository.count_endpoints(app_id) >= rules.MAX_ENDPOINTS_PER_APP:
        raise TooManyWebhookEndpoints()
    secret = generate_secret()
    now = work.clock.now()
    endpoint_id = new_id()
    repository.add_endpoint(
        {
            **values,
            "id": endpoint_id,
            "app_id": app_id,
            "enabled": enabled,
            "disabled_reason": None,
            "secret_sealed": _sealer(work).seal(secret),
            "previous_secret_sealed": None,
            "previous_secret_expires_at": None,
            "created_at": now,
            "updated_at": now,
        }
    )
    _forget(work, app_id)
    return EndpointWithSecret(get_endpoint(work, app_id, endpoint_id), secret)


def get_endpoint(work: UnitOfWork, app_id: uuid.UUID, endpoint_id: uuid.UUID | None) -> Endpoint:
    repository = WebhookRepository(work.connection)
    row = None if endpoint_id is None else repository.endpoint(app_id, endpoint_id)
    if row is None:
        raise WebhookEndpointNotFound()
    return Endpoint.from_row(row)


def list_endpoints(work: UnitOfWork, app_id: uuid.UUID) -> list[Endpoint]:
    rows = WebhookRepository(work.connection).endpoints_of(app_id)
    return [Endpoint.from_row(row) for row in rows]


_UNSET: Any = object()


def update_endpoint(
    work: UnitOfWork,
    app_id: uuid.UUID,
    endpoint_id: uuid.UUID | None,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = _UNSET,
    description: str | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    """Changes what is given; `event_types=None` means every type (leave it out to keep it)."""
    get_endpoint(work, app_id, endpoint_id)
    assert endpoint_id is not None
    values: dict[str, Any] = {"updated_at": work.clock.now()}
    if url is not None:
        values["url"] = _checked_url(work, url)
    if event_types is not _UNSET:
        values["event_types"] = _checked_types(event_types)
    if description is not None:
        values["description"] = _checked_description(description)
    if enabled is not None:
        values["enabled"] = enabled
        values["disabled_reason"] = None
    row = WebhookRepository(work.connection).update_endpoint(app_id, endpoint_id, values)
    if row is None:
        raise WebhookEndpointNotFound()
    _forget(work, app_id)
    return Endpoint.from_row(row)


def delete_endpoint(work: UnitOfWork, app_id: uuid.UUID, endpoint_id: uuid.UUID | None) -> None:
    """The endpoint and its messages, delivered, pending or dead."""
    if endpoint_id is None or not WebhookRepository(work.connection).delete_endpoint(
        app_id, endpoint_id
    ):
        raise WebhookEndpointNotFound()
    _forget(work, app_id)


def rotate_secret(
    work: UnitOfWork, app_id: uuid.UUID, endpoint_id: uuid.UUID | None, overlap_hours: int
) -> EndpointWithSecret:
    """A new signing secret, shown once; the replaced one keeps signing next to it (two
    signatures per message) for `overlap_hours`, so receivers switch without losing a message."""
    if not 0 <= overlap_hours <= rules.MAX_SECRET_OVERLAP // timedelta(hours=1):
        raise InvalidSecretOverlap()
    overlap = timedelta(hours=overlap_hours)
    repository = WebhookRepository(work.connection)
    row = None if endpoint_id is None else repository.endpoint(app_id, endpoint_id)
    if row is None or endpoint_id is None:
        raise WebhookEndpointNotFound()
    now = work.clock.now()
    secret = generate_secret()
    keep_previous = overlap > timedelta(0)
    updated = repository.update_endpoint(
        app_id,
        endpoint_id,
        {
            "secret_sealed": _sealer(work).seal(secret),
            "previous_secret_sealed": row["secret_sealed"] if keep_previous else None,
            "previous_secret_expires_at": now + overlap if keep_previous else None,
            "updated_at": now,
        },
    )
    assert updated is not None
    return EndpointWithSecret(Endpoint.from_row(updated), secret)


def list_messages(
    work: UnitOfWork,
    app_id: uuid.UUID,
    endpoint_id: uuid.UUID | None,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """An endpoint's messages, newest first; `status="dead"` lists its dead letters."""
    endpoint = get_endpoint(work, app_id, endpoint_id)
    rows = WebhookRepository(work.connection).messages_of(
        endpoint.id, status=status, before_id=before, limit=limit
    )
    return [Message.from_row(row) for row in rows]


def redeliver(
    work: UnitOfWork, app_id: uuid.UUID, endpoint_id: uuid.UUID | None, message_id: str
) -> Message:
    """A delivered message or a dead letter sent again, with the same `webhook-id` and body and a
    new retry window."""
    endpoint = get_endpoint(work, app_id, endpoint_id)
    repository = WebhookRepository(work.connection)
    row = repository.message(endpoint.id, message_id)
    if row is None:
        raise WebhookMessageNotFound()
    if row["status"] == Status.PENDING:
        raise WebhookMessagePending()
    repository.reschedule(row["id"], work.clock.now())
    again = repository.message(endpoint.id, message_id)
    assert again is not None
    return Message.from_row(again)


def send_test(work: UnitOfWork, app_id: uuid.UUID, endpoint_id: uuid.UUID | None) -> Message:
    """A `webhook.test` message to this endpoint alone, whatever types it subscribes to."""
    endpoint = get_endpoint(work, app_id, endpoint_id)
    now = work.clock.now()
    row = _message_row(
        endpoint.id,
        app_id,
        rules.TEST_EVENT,
        rules.message_body(
            rules.TEST_EVENT, now, {"app_id": str(app_id), "endpoint_id": str(endpoint.id)}
        ),
        now,
    )
    repository = WebhookRepository(work.connection)
    repository.enqueue([row])
    found = repository.message(endpoint.id, row["message_id"])
    assert found is not None
    return Message.from_row(found)


# The outbox


def _subscriptions(
    work: UnitOfWork, app_id: uuid.UUID
) -> tuple[tuple[uuid.UUID, frozenset[str] | None], ...]:
    """The app's enabled endpoints and their types: from the process's lookups within
    `credential_cache_seconds` (an app without endpoints then costs no statement), else read."""
    cache: TtlCache = work.lookups
    key = _cache_key(app_id)
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    found = tuple(
        (row["id"], None if row["event_types"] is None else frozenset(row["event_types"]))
        for row in WebhookRepository(work.connection).subscribed(app_id)
    )
    cache.put(key, found)
    return found


def _message_row(
    endpoint_id: uuid.UUID, app_id: uuid.UUID, event_type: str, body: str, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": rules.message_id(new_id().hex),
        "endpoint_id": endpoint_id,
        "app_id": app_id,
        "event_type": event_type,
        "body": body,
        "status": Status.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "retry_from": now,
        "last_attempt_at": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": now,
        "finished_at": None,
    }


def event_data(event: dict[str, Any]) -> dict[str, Any]:
    """What a message's `data` says of an identity event: the ids it concerns and its details."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "app_id": text(event["app_id"]),
        "user_id": text(event.get("user_id")),
        "install_id": text(event.get("install_id")),
        "actor": event.get("actor"),
        "request_ref": event.get("request_ref"),
        "details": event.get("details") or {},
    }


def backlog(work: UnitOfWork) -> dict[str, int]:
    """The outbox's messages waiting for delivery and its dead letters (the metrics' backlog)."""
    return WebhookRepository(work.connection).count_unfinished()


def enqueue(work: UnitOfWork, events: Sequence[dict[str, Any]]) -> None:
    """The outbox rows of the events a unit of work flushes, in its transaction: one per event
    and enabled endpoint of the event's app subscribed to its type, in one INSERT."""
    if not events:
        return
    rows: list[dict[str, Any]] = []
    now = work.clock.now()
    # A unit of work's events are nearly always of one app: its subscriptions looked up once.
    by_app: dict[uuid.UUID, tuple[tuple[uuid.UUID, frozenset[str] | None], ...]] = {}
    for event in events:
        app_id = event.get("app_id")
        if app_id is None:
            continue
        subscriptions = by_app.get(app_id)
        if subscriptions is None:
            subscriptions = by_app[app_id] = _subscriptions(work, app_id)
        if not subscriptions:
            continue
        body = rules.message_body(event["event"], event["occurred_at"], event_data(event))
        rows.extend(
            _message_row(endpoint_id, app_id, event["event"], body, now)
            for endpoint_id, types in subscriptions
            if rules.wants(types, event["event"])
        )
    if rows:
        WebhookRepository(work.connection).enqueue(rows)


# Delivery (the worker's use cases; the sending itself is webhooks/worker.py's)


@dataclass(frozen=True)
class ClaimedMessage:
    serial: int
    message_id: str
    endpoint_id: uuid.UUID
    app_id: uuid.UUID
    url: str
    body: str
    attempts: int
    retry_from: datetime
    # The secrets that sign this attempt: the current one, and the previous during an overlap.
    secrets: tuple[str, ...]


def claim_due(work: UnitOfWork, *, limit: int, lease: timedelta) -> list[ClaimedMessage]:
    """Due messages taken for one attempt each (their lease runs `lease`)."""
    now = work.clock.now()
    opener = _sealer(work)
    claimed = []
    for row in WebhookRepository(work.connection).claim(now, now + lease, limit):
        secrets = [opener.open(row["secret_sealed"])]
        expires = row["previous_secret_expires_at"]
        if row["previous_secret_sealed"] and expires is not None and as_utc(expires) > now:
            secrets.append(opener.open(row["previous_secret_sealed"]))
        claimed.append(
            ClaimedMessage(
                serial=row["id"],
                message_id=row["message_id"],
                endpoint_id=row["endpoint_id"],
                app_id=row["app_id"],
                url=row["url"],
                body=row["body"],
                attempts=row["attempts"],
                retry_from=as_utc(row["retry_from"]),
                secrets=tuple(secret for secret in secrets if secret),
            )
        )
    return claimed


def hand_back(work: UnitOfWork, unattempted: Sequence[ClaimedMessage]) -> None:
    """Claimed messages not attempted after all (the worker is stopping): due now again, and the
    claim not counted as an attempt."""
    repository = WebhookRepository(work.connection)
    now = work.clock.now()
    for message in unattempted:
        repository.hand_back(message.serial, message.attempts, now)


def record_outcome(
    work: UnitOfWork,
    message: ClaimedMessage,
    *,
    status_code: int | None,
    error: str | None,
    rand: float,
) -> str:
    """The outcome of an attempt: a 2xx delivers; a 410 disables the endpoint and ends the
    message; anything else retries on the schedule (rules.next_attempt_at) or, once the retry
    window is over, leaves a dead letter. Returns the message's status."""
    now = work.clock.now()
    repository = WebhookRepository(work.connection)
    values: dict[str, Any] = {
        "last_status_code": status_code,
        "last_error": None if error is None else error[:500],
    }
    if status_code is not None and rules.is_success(status_code):
        values.update(status=Status.DELIVERED, finished_at=now, last_error=None)
    elif status_code == rules.GONE:
        values.update(
            status=Status.DEAD,
            finished_at=now,
            last_error="The receiver answered 410 Gone: the endpoint is disabled.",
        )
        repository.disable_gone(message.endpoint_id, "The receiver answered 410 Gone.", now)
        _forget(work, message.app_id)
    else:
        due = rules.next_attempt_at(message.retry_from, message.attempts, now, rand)
        if due is None:
            values.update(status=Status.DEAD, finished_at=now)
        else:
            values.update(next_attempt_at=due)
    if not repository.record_attempt(message.serial, message.attempts, values):
        return "superseded"
    return str(values.get("status", Status.PENDING))
