"""The server-to-server routes (docs/api.md), sans I/O: each route is a `Call` (the request to
send and how to read its answer); both clients send the same calls and read the answers here.
"""

from __future__ import annotations

import dataclasses
import email.utils
import uuid
from collections.abc import Callable, Mapping
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
from ._models import AuthCode, Install, TimelineItem, TimelinePage, User

__all__ = [
    "Attempts",
    "Call",
    "auth_code",
    "connection_error",
    "delete_user",
    "error_for",
    "finish",
    "get_user",
    "get_user_by_external_id",
    "headers_for",
    "is_transient",
    "link_install",
    "read",
    "retry_after",
    "timeline_page",
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


def timeline_page(user_id: str, *, limit: int, cursor: str | None) -> Call[TimelinePage]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValueError(f"limit must be an int from 1 to 1000, not {limit!r}")
    params: dict[str, str | int] = {"limit": limit}
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
