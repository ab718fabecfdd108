"""The server-to-server routes (docs/api.md), sans I/O: each route is a `Call` (the request to
send and how to read its answer); both clients send the same calls and read the answers here.
"""

from __future__ import annotations

import dataclasses
import email.utils
import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from ._errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UserLinkBackendError,
)
from ._models import (
    Arrival,
    AuthCode,
    CodePreview,
    EventPage,
    HeldPayload,
    HeldPayloadPage,
    IdentityEvent,
    Install,
    LinkPreview,
    MigrationReport,
    OnRedemption,
    SdkVersionLine,
    TimelineItem,
    TimelinePage,
    Undo,
    User,
    WebhookEndpoint,
    WebhookMessage,
    WebhookMessagePage,
)

__all__ = [
    "UNSET",
    "Attempts",
    "Call",
    "Unset",
    "auth_code",
    "auth_code_preview",
    "connection_error",
    "create_webhook",
    "delete_user",
    "delete_webhook",
    "error_for",
    "events_page",
    "finish",
    "get_user",
    "get_user_by_external_id",
    "get_webhook",
    "headers_for",
    "held_payloads_page",
    "is_transient",
    "link_install",
    "link_preview",
    "list_webhooks",
    "merge_held_payloads",
    "migration_report",
    "read",
    "redeliver_webhook_message",
    "retry_after",
    "rotate_webhook_secret",
    "send_test_webhook",
    "timeline_page",
    "undo_event",
    "update_webhook",
    "webhook_messages_page",
    "worth_retrying",
]

T = TypeVar("T")

#: Statuses worth sending the same request again for (with `Retry-After` when they name one).
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
_STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    415: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


@dataclasses.dataclass(frozen=True)
class Call(Generic[T]):
    """One logical call of a route: what to send, and how to read a success answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Mapping[str, Any] | None = None
    params: Mapping[str, str | int] | None = None
    #: An `Idempotency-Key` is sent (one per logical call, the same on its retries).
    idempotent: bool = False
    #: A 404 answering a retry whose first attempt lost its answer means "done" (DELETE).
    gone_means_done: bool = False
    #: Sending it twice does no harm (a read, an idempotency key, a merge, a delete). When
    #: False, only answers that say the platform did nothing (429, 503) are retried: a lost
    #: answer or a 502/504 may hide a done call (a second webhook endpoint, a lost secret).
    repeatable: bool = True


def _segment(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, not {value!r}")
    return quote(value, safe="")


def _external_id(value: str | int) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"external_id must be a str or an int, not {type(value).__name__}")
    return value


# -- the routes ------------------------------------------------------------------------------


def auth_code(external_id: str | int, code_challenge: str | None = None) -> Call[AuthCode]:
    body: dict[str, Any] = {"external_id": _external_id(external_id)}
    if code_challenge is not None:
        # PKCE (RFC 7636), S256 only: the code is then redeemable only by the device holding the
        # verifier of this challenge (the SDK's begin_user_creation()).
        body.update(code_challenge=code_challenge, code_challenge_method="S256")
    return Call("POST", "/users/auth-code", _auth_code, json=body, idempotent=True)


def link_install(install_id: str, external_id: str | int) -> Call[str]:
    return Call(
        "POST",
        f"/v2/users/{_segment(install_id)}/link",
        lambda answer: _field(answer, "id", str),
        json={"external_id": _external_id(external_id)},
        idempotent=True,
    )


def get_user(user_id: str) -> Call[User]:
    return Call("GET", f"/v2/users/{_segment(user_id)}", _user)


def get_user_by_external_id(external_id: str | int) -> Call[User]:
    return Call("GET", "/v2/users", _user, params={"external_id": _external_id(external_id)})


class Unset(enum.Enum):
    """A field an update leaves as it is (None has a meaning of its own there)."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


def _page_limit(limit: int, most: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise ValueError(f"limit must be an int from 1 to {most}, not {limit!r}")
    return limit


def _moment(value: datetime, name: str) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be a datetime with a time zone, not {value!r}")
    return value.isoformat()


def auth_code_preview(
    external_id: str | int, code_challenge: str | None = None
) -> Call[CodePreview]:
    body: dict[str, Any] = {"external_id": _external_id(external_id)}
    if code_challenge is not None:
        body.update(code_challenge=code_challenge, code_challenge_method="S256")
    return Call("POST", "/users/auth-code/preview", _code_preview, json=body)


def link_preview(install_id: str, external_id: str | int) -> Call[LinkPreview]:
    return Call(
        "POST",
        f"/v2/users/{_segment(install_id)}/link/preview",
        _link_preview,
        json={"external_id": _external_id(external_id)},
    )


def events_page(
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    types: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> Call[EventPage]:
    params: dict[str, str | int] = {"limit": _page_limit(limit, 500)}
    if isinstance(types, str):
        types = (types,)
    if types:
        params["type"] = ",".join(types)
    if since is not None:
        params["since"] = _moment(since, "since")
    if until is not None:
        params["until"] = _moment(until, "until")
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", f"/v2/users/{_segment(user_id)}/events", _event_page, params=params)


def undo_event(user_id: str, event_id: str | int) -> Call[Undo]:
    # The Idempotency-Key makes a retry after a lost answer read back the first undo's result
    # (`replayed: True`) instead of 409 EVENT_ALREADY_UNDONE.
    if isinstance(event_id, bool) or not isinstance(event_id, str | int):
        raise TypeError(f"event_id must be a str or an int, not {type(event_id).__name__}")
    return Call(
        "POST",
        f"/v2/users/{_segment(user_id)}/events/{_segment(str(event_id))}/undo",
        _undo,
        idempotent=True,
    )


def _held_filter(
    install_id: str | None, since: datetime | None, until: datetime | None
) -> dict[str, str]:
    which: dict[str, str] = {}
    if install_id is not None:
        which["install_id"] = install_id
    if since is not None:
        which["since"] = _moment(since, "since")
    if until is not None:
        which["until"] = _moment(until, "until")
    return which


def held_payloads_page(
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    install_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Call[HeldPayloadPage]:
    params: dict[str, str | int] = {"limit": _page_limit(limit, 1000)}
    params.update(_held_filter(install_id, since, until))
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", f"/v2/users/{_segment(user_id)}/held-payloads", _held_page, params=params)


def merge_held_payloads(
    user_id: str,
    *,
    install_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Call[int]:
    # Repeatable: merging again merges nothing new.
    return Call(
        "POST",
        f"/v2/users/{_segment(user_id)}/held-payloads/merge",
        lambda answer: _field(answer, "merged", int),
        json=_held_filter(install_id, since, until),
    )


def migration_report(window_days: int = 30) -> Call[MigrationReport]:
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not 1 <= window_days <= 365
    ):
        raise ValueError(f"window_days must be an int from 1 to 365, not {window_days!r}")
    return Call(
        "GET", "/v2/reports/migration", _migration_report, params={"window_days": window_days}
    )


def create_webhook(
    url: str,
    *,
    event_types: Sequence[str] | None = None,
    description: str = "",
    enabled: bool = True,
) -> Call[WebhookEndpoint]:
    body = {
        "url": url,
        "event_types": _event_types(event_types),
        "description": description,
        "enabled": enabled,
    }
    return Call("POST", "/v2/webhooks", _webhook, json=body, repeatable=False)


def list_webhooks() -> Call[tuple[WebhookEndpoint, ...]]:
    return Call(
        "GET",
        "/v2/webhooks",
        lambda answer: tuple(_webhook(raw) for raw in _field(answer, "endpoints", list)),
    )


def get_webhook(endpoint_id: str) -> Call[WebhookEndpoint]:
    return Call("GET", f"/v2/webhooks/{_segment(endpoint_id)}", _webhook)


def update_webhook(
    endpoint_id: str,
    *,
    url: str | Unset = UNSET,
    event_types: Sequence[str] | Unset | None = UNSET,
    description: str | Unset = UNSET,
    enabled: bool | Unset = UNSET,
) -> Call[WebhookEndpoint]:
    body: dict[str, Any] = {}
    if not isinstance(url, Unset):
        body["url"] = url
    if not isinstance(event_types, Unset):
        body["event_types"] = _event_types(event_types)
    if not isinstance(description, Unset):
        body["description"] = description
    if not isinstance(enabled, Unset):
        body["enabled"] = enabled
    return Call("PATCH", f"/v2/webhooks/{_segment(endpoint_id)}", _webhook, json=body)


def delete_webhook(endpoint_id: str) -> Call[None]:
    return Call(
        "DELETE",
        f"/v2/webhooks/{_segment(endpoint_id)}",
        lambda answer: None,
        gone_means_done=True,
    )


def rotate_webhook_secret(endpoint_id: str, *, overlap_hours: int = 24) -> Call[WebhookEndpoint]:
    return Call(
        "POST",
        f"/v2/webhooks/{_segment(endpoint_id)}/rotate-secret",
        _webhook,
        json={"overlap_hours": overlap_hours},
        repeatable=False,
    )


def webhook_messages_page(
    endpoint_id: str, *, status: str | None = None, before: int | None = None, limit: int = 50
) -> Call[WebhookMessagePage]:
    params: dict[str, str | int] = {"limit": _page_limit(limit, 200)}
    if status is not None:
        params["status"] = status
    if before is not None:
        params["before"] = before
    return Call(
        "GET",
        f"/v2/webhooks/{_segment(endpoint_id)}/messages",
        _message_page,
        params=params,
    )


def redeliver_webhook_message(endpoint_id: str, message_id: str) -> Call[WebhookMessage]:
    return Call(
        "POST",
        f"/v2/webhooks/{_segment(endpoint_id)}/messages/{_segment(message_id)}/redeliver",
        _message,
        repeatable=False,
    )


def send_test_webhook(endpoint_id: str) -> Call[WebhookMessage]:
    return Call("POST", f"/v2/webhooks/{_segment(endpoint_id)}/test", _message, repeatable=False)


def _event_types(event_types: Sequence[str] | None) -> list[str] | None:
    if event_types is None:
        return None
    if isinstance(event_types, str):
        raise TypeError("event_types must be a sequence of event types, not one string")
    return list(event_types)


def timeline_page(user_id: str, *, limit: int, cursor: str | None) -> Call[TimelinePage]:
    params: dict[str, str | int] = {"limit": _page_limit(limit, 1000)}
    if cursor is not None:
        params["cursor"] = cursor
    return Call("GET", f"/v2/users/{_segment(user_id)}/timeline", _timeline_page, params=params)


def delete_user(user_id: str) -> Call[None]:
    return Call(
        "DELETE",
        f"/users/{_segment(user_id)}",
        lambda answer: None,
        idempotent=True,
        gone_means_done=True,
    )


# -- requests and answers --------------------------------------------------------------------


def headers_for(call: Call[Any], api_key: str) -> dict[str, str]:
    """The headers of every attempt of one logical call: the idempotency key is made here, once."""
    headers = {"Authorization": f"Bearer {api_key}"}
    if call.idempotent:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers


@dataclasses.dataclass
class Attempts:
    """What the attempts of one logical call saw so far."""

    lost_answer: bool = False


def finish(call: Call[T], response: httpx.Response, attempts: Attempts) -> T:
    """`read`, except that a 404 after a lost answer completes a call whose goal is "gone": the
    lost attempt reached the platform and did it."""
    if call.gone_means_done and attempts.lost_answer and response.status_code == 404:
        return call.parse({})
    return read(call, response)


def read(call: Call[T], response: httpx.Response) -> T:
    """The parsed success answer, or the error the answer is."""
    if not response.is_success:
        raise error_for(response)
    if response.status_code == 204 or not response.content:
        answer: Any = {}
    else:
        try:
            answer = response.json()
        except ValueError:
            raise _unreadable(call, response, "the answer is not JSON") from None
    try:
        return call.parse(answer)
    except (TypeError, ValueError, KeyError) as exc:
        raise _unreadable(call, response, str(exc)) from None


def error_for(response: httpx.Response) -> APIStatusError:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, Mapping) else {}
    code, message, ref = body.get("errorCode"), body.get("message"), body.get("ref")
    status = response.status_code
    kind = _STATUS_ERRORS.get(status, ServerError if status >= 500 else APIStatusError)
    return kind(
        message if isinstance(message, str) else (response.reason_phrase or f"HTTP {status}"),
        error_code=code if isinstance(code, str) else f"HTTP_{status}",
        status=status,
        ref=ref if isinstance(ref, str) and ref else response.headers.get("X-Request-Ref"),
        retry_after=retry_after(response),
    )


def connection_error(exc: httpx.TransportError) -> APIConnectionError:
    """No answer. The message names the failure's kind only: httpx's text may quote the URL."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"no answer within the timeout ({type(exc).__name__})", error_code="TIMEOUT"
        )
    return APIConnectionError(
        f"the platform could not be reached ({type(exc).__name__})", error_code="CONNECTION_ERROR"
    )


def worth_retrying(call: Call[Any], error: BaseException) -> bool:
    """Transient, and for a call that must not be done twice, surely not done (429, 503)."""
    if not is_transient(error):
        return False
    return call.repeatable or (isinstance(error, APIStatusError) and error.status in {429, 503})


def is_transient(error: BaseException) -> bool:
    """Worth the same request again: no answer, or 429, 502, 503, 504."""
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.status in TRANSIENT_STATUSES


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (delta or HTTP date, against the answer's own `Date`)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    moment = _http_date(value)
    if moment is None:
        return None
    now = _http_date(response.headers.get("Date", "")) or datetime.now(UTC)
    return max(0.0, (moment - now).total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unreadable(call: Call[Any], response: httpx.Response, why: str) -> UserLinkBackendError:
    return APIResponseError(
        f"{call.method} {call.path.split('?')[0]}: unreadable answer ({why})",
        error_code="INVALID_RESPONSE",
        status=response.status_code,
        ref=response.headers.get("X-Request-Ref"),
    )


def _field(answer: Any, name: str, kind: type[T], *, optional: bool = False) -> T:
    if not isinstance(answer, Mapping):
        raise TypeError("the answer is not a JSON object")
    value = answer.get(name)
    if value is None and optional:
        return value  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise TypeError(f"{name!r} is missing or not a {kind.__name__}")
    return value


def _time(answer: Any, name: str, *, optional: bool = False) -> Any:
    value = _field(answer, name, str, optional=optional)
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _auth_code(answer: Any) -> AuthCode:
    return AuthCode(
        code=_field(answer, "authentication_code", str), expires_at=_time(answer, "expires_at")
    )


def _install(raw: Any) -> Install:
    return Install(
        id=_field(raw, "id", str),
        platform=_field(raw, "platform", str),
        device_class=_field(raw, "device_class", str),
        model=_field(raw, "model", str, optional=True),
        created_at=_time(raw, "created_at"),
        status=_field(raw, "status", str),
        is_active=_field(raw, "is_active", bool),
        inactive_reason=_field(raw, "inactive_reason", str, optional=True),
    )


def _user(answer: Any) -> User:
    return User(
        id=_field(answer, "id", str),
        external_id=_field(answer, "external_id", str, optional=True),
        created_at=_time(answer, "created_at"),
        linked_at=_time(answer, "linked_at", optional=True),
        installs=tuple(_install(raw) for raw in _field(answer, "installs", list)),
    )


def _timeline_page(answer: Any) -> TimelinePage:
    items = tuple(
        TimelineItem(
            id=_field(raw, "id", str),
            install_id=_field(raw, "install_id", str),
            type=_field(raw, "type", str),
            timestamp=_time(raw, "timestamp"),
            body=_field(raw, "body", dict),
        )
        for raw in _field(answer, "items", list)
    )
    return TimelinePage(items=items, next_cursor=_field(answer, "next_cursor", str, optional=True))


def _number(answer: Any, name: str, *, optional: bool = False) -> float | None:
    value = answer.get(name) if isinstance(answer, Mapping) else None
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name!r} is missing or not a number")
    return float(value)


def _counts(answer: Any, name: str) -> dict[str, int]:
    raw = _field(answer, name, dict)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
        raise TypeError(f"{name!r} holds a count that is not an int")
    return {str(k): v for k, v in raw.items()}


def _arrival(raw: Any) -> Arrival:
    return Arrival(
        is_active=_field(raw, "is_active", bool),
        inactive_reason=_field(raw, "inactive_reason", str, optional=True),
        takes_over_from=_field(raw, "takes_over_from", str, optional=True),
    )


def _installs(answer: Any) -> tuple[Install, ...]:
    return tuple(_install(raw) for raw in _field(answer, "installs", list))


def _code_preview(answer: Any) -> CodePreview:
    on = _field(answer, "on_redemption", dict)
    return CodePreview(
        outcome=_field(answer, "outcome", str),
        user_id=_field(answer, "user_id", str, optional=True),
        installs=_installs(answer),
        active_install_id=_field(answer, "active_install_id", str, optional=True),
        on_redemption=OnRedemption(
            phone=_arrival(_field(on, "phone", dict)), tablet=_arrival(_field(on, "tablet", dict))
        ),
    )


def _link_preview(answer: Any) -> LinkPreview:
    return LinkPreview(
        outcome=_field(answer, "outcome", str),
        user_id=_field(answer, "user_id", str),
        installs=_installs(answer),
        active_install_id=_field(answer, "active_install_id", str, optional=True),
        install=_arrival(_field(answer, "install", dict)),
    )


def _event(raw: Any) -> IdentityEvent:
    return IdentityEvent(
        id=_field(raw, "id", str),
        type=_field(raw, "type", str),
        occurred_at=_time(raw, "occurred_at"),
        user_id=_field(raw, "user_id", str, optional=True),
        install_id=_field(raw, "install_id", str, optional=True),
        actor=_field(raw, "actor", str, optional=True),
        details=_field(raw, "details", dict, optional=True) or {},
        undoes_event_id=_field(raw, "undoes_event_id", str, optional=True),
    )


def _event_page(answer: Any) -> EventPage:
    return EventPage(
        items=tuple(_event(raw) for raw in _field(answer, "items", list)),
        next_cursor=_field(answer, "next_cursor", str, optional=True),
    )


def _undo(answer: Any) -> Undo:
    return Undo(
        undo_event_id=_field(answer, "undo_event_id", str),
        undone_event_id=_field(answer, "undone_event_id", str),
        undone_type=_field(answer, "undone_type", str),
        user_id=_field(answer, "user_id", str),
        install_id=_field(answer, "install_id", str, optional=True),
        install_user_id=_field(answer, "install_user_id", str, optional=True),
        replayed=_field(answer, "replayed", bool),
    )


def _held_page(answer: Any) -> HeldPayloadPage:
    items = tuple(
        HeldPayload(
            id=_field(raw, "id", str),
            install_id=_field(raw, "install_id", str),
            type=_field(raw, "type", str),
            timestamp=_time(raw, "timestamp"),
            received_at=_time(raw, "received_at"),
            body=_field(raw, "body", dict),
        )
        for raw in _field(answer, "items", list)
    )
    return HeldPayloadPage(
        items=items, next_cursor=_field(answer, "next_cursor", str, optional=True)
    )


def _webhook(answer: Any) -> WebhookEndpoint:
    types: list[Any] | None = _field(answer, "event_types", list, optional=True)
    if types is not None and not all(isinstance(t, str) for t in types):
        raise TypeError("'event_types' holds a value that is not a string")
    return WebhookEndpoint(
        id=_field(answer, "id", str),
        url=_field(answer, "url", str),
        description=_field(answer, "description", str),
        event_types=None if types is None else tuple(types),
        enabled=_field(answer, "enabled", bool),
        disabled_reason=_field(answer, "disabled_reason", str, optional=True),
        previous_secret_expires_at=_time(answer, "previous_secret_expires_at", optional=True),
        created_at=_time(answer, "created_at"),
        updated_at=_time(answer, "updated_at"),
        secret=_field(answer, "secret", str, optional=True),
    )


def _message(answer: Any) -> WebhookMessage:
    return WebhookMessage(
        id=_field(answer, "id", str),
        event_type=_field(answer, "event_type", str),
        status=_field(answer, "status", str),
        attempts=_field(answer, "attempts", int),
        next_attempt_at=_time(answer, "next_attempt_at", optional=True),
        last_attempt_at=_time(answer, "last_attempt_at", optional=True),
        last_status_code=_field(answer, "last_status_code", int, optional=True),
        last_error=_field(answer, "last_error", str, optional=True),
        created_at=_time(answer, "created_at"),
        finished_at=_time(answer, "finished_at", optional=True),
        payload=_field(answer, "payload", dict),
        cursor=_field(answer, "cursor", int),
    )


def _message_page(answer: Any) -> WebhookMessagePage:
    return WebhookMessagePage(
        messages=tuple(_message(raw) for raw in _field(answer, "messages", list)),
        next_before=_field(answer, "next_before", int, optional=True),
    )


def _migration_report(answer: Any) -> MigrationReport:
    lines = tuple(
        SdkVersionLine(
            sdk_version=_field(raw, "sdk_version", str, optional=True),
            installs=_field(raw, "installs", int),
            seen_recently=_field(raw, "seen_recently", int),
            last_seen=_time(raw, "last_seen"),
        )
        for raw in _field(answer, "legacy_installs_by_sdk_version", list)
    )
    return MigrationReport(
        generated_at=_time(answer, "generated_at"),
        window_days=_field(answer, "window_days", int),
        users=_field(answer, "users", int),
        users_by_link=_counts(answer, "users_by_link"),
        live_installs_by_flow=_counts(answer, "live_installs_by_flow"),
        legacy_installs_by_sdk_version=lines,
        legacy_registrations_recent=_field(answer, "legacy_registrations_recent", int),
        active_users=_field(answer, "active_users", int),
        active_users_on_code_flow=_field(answer, "active_users_on_code_flow", int),
        share_on_code_flow=_number(answer, "share_on_code_flow", optional=True),
        legacy_registration_enabled=_field(answer, "legacy_registration_enabled", bool),
    )
