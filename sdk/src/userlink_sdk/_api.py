"""The `/sdk/v1/` routes (docs/sdk-protocol.md): requests out, parsed answers or errors back.

Sans-I/O (`_effects`): each route is a generator that yields the `Send` of its request and reads
the outcome the facade sends back, so the sync and the async SDK share every byte of it.

Nothing here knows the public failure reasons; `_reasons` maps the three internal errors:
`NetworkError` (no answer), `ApiError` (an answer with an error status) and `ProtocolError`
(a success answer the SDK cannot read).
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import math
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ._displacement import UserDisplacedEvent, read_displacement
from ._effects import Send, Steps
from ._errors import PinningError
from ._models import DeviceInfo, SdkConfiguration, UploadConfiguration
from ._version import __version__

__all__ = [
    "ApiError",
    "Credentials",
    "Identity",
    "NetworkError",
    "ProtocolError",
    "SdkApi",
    "StatusAnswer",
    "UploadAnswer",
    "parse_configuration",
    "read_answer",
]

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The answers whose `Retry-After` the SDK honours (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Where an answer names its request: the platform's header, and the common one of proxies.
REF_HEADERS = ("X-Request-Ref", "X-Request-ID")
#: Device and app text the platform accepts: at most 128 characters, no control characters.
MAX_DEVICE_TEXT = 128
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
#: The screen diagonals the platform accepts (inches, exclusive bounds).
_DIAGONAL_RANGE = (0.0, 100.0)


class NetworkError(Exception):
    """No answer: connection refused or reset, timeout, lost answer, or a TLS failure.

    `retryable` is False for failures that a retry cannot fix: a certificate pin mismatch or a
    certificate that does not verify."""

    def __init__(self, details: str, *, pin_mismatch: bool = False, retryable: bool = True) -> None:
        super().__init__(details)
        self.details = details
        self.pin_mismatch = pin_mismatch
        self.retryable = retryable and not pin_mismatch


class ApiError(Exception):
    """The server answered with an error status and (normally) the error envelope.

    `request_ref` names the request in the platform's logs; `retry_after` is the wait in seconds
    a 429 or 503 asked for (None when it named none)."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        message: str,
        *,
        request_ref: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.request_ref = request_ref
        self.retry_after = retry_after
        super().__init__(self.details)

    @property
    def details(self) -> str:
        details = f"{self.error_code or f'HTTP {self.status}'}: {self.message}"
        if self.retry_after is not None:
            details += f" (the platform asked to retry after {self.retry_after:g} s)"
        return details

    @property
    def is_transient(self) -> bool:
        return self.status in TRANSIENT_STATUSES


class ProtocolError(Exception):
    """A success answer that does not have the documented shape."""


@dataclasses.dataclass(frozen=True)
class Credentials:
    access_token: str = dataclasses.field(repr=False)
    access_token_expires_at: datetime
    refresh_token: str = dataclasses.field(repr=False)
    refresh_token_expires_at: datetime | None


@dataclasses.dataclass(frozen=True)
class Identity:
    """The answer of users, installs, link and link/confirm."""

    user_id: str
    install_id: str
    is_linked: bool
    restored: bool
    credentials: Credentials | None
    configuration: Mapping[str, Any] | None


@dataclasses.dataclass(frozen=True)
class StatusAnswer:
    user_id: str
    install_id: str
    is_linked: bool
    is_remote_enabled: bool
    inactive_reason: str | None
    configuration: Mapping[str, Any] | None
    displacement: UserDisplacedEvent | None = None
    """The optional `displacement` field: present while this install is displaced."""


@dataclasses.dataclass(frozen=True)
class UploadAnswer:
    is_remote_enabled: bool
    results: Mapping[str, str]
    """payload id → processed | not_processed | duplicate"""


def parse_configuration(raw: Mapping[str, Any] | None) -> SdkConfiguration:
    """Read the configuration object leniently: a missing or odd field keeps its default."""
    if not isinstance(raw, Mapping):
        return SdkConfiguration()
    defaults = UploadConfiguration()
    upload = raw.get("upload")
    upload = upload if isinstance(upload, Mapping) else {}

    def positive(name: str, default: float) -> Any:
        value = upload.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return value
        return default

    features = raw.get("features")
    enabled = raw.get("is_remote_enabled")
    return SdkConfiguration(
        is_remote_enabled=enabled if isinstance(enabled, bool) else True,
        upload=UploadConfiguration(
            max_batch_size=int(positive("max_batch_size", defaults.max_batch_size)),
            max_payload_bytes=int(positive("max_payload_bytes", defaults.max_payload_bytes)),
            min_interval_seconds=float(
                positive("min_interval_seconds", defaults.min_interval_seconds)
            ),
        ),
        features=dict(features) if isinstance(features, Mapping) else {},
    )


def device_text(value: object) -> str | None:
    """Text about the device or the app as the platform accepts it: control characters removed,
    cut to 128 characters; None when nothing is left. The OS reports these values, so an odd one
    must not make every registration fail."""
    if not isinstance(value, str):
        return None
    cleaned = _CONTROL_CHARACTERS.sub("", value).strip()[:MAX_DEVICE_TEXT]
    return cleaned or None


def device_diagonal(value: object) -> float | None:
    """The screen diagonal when it is a usable number of inches, else None (unknown)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    low, high = _DIAGONAL_RANGE
    if not math.isfinite(value) or not low < value < high:
        return None
    return float(value)


def device_json(device: DeviceInfo) -> dict[str, Any]:
    return {
        "platform": device.platform,
        "os_version": device_text(device.os_version),
        "model": device_text(device.model),
        "screen_diagonal_inches": device_diagonal(device.screen_diagonal_inches),
        "ios_idiom": device.ios_idiom,
    }


class SdkApi:
    def __init__(
        self,
        *,
        app_version: str | None,
        device: DeviceInfo,
        observer: Callable[[Mapping[str, Any]], None] | None = None,
    ):
        # Sees every successful answer (the displacement watch reads its optional field).
        self._observer = observer
        self._app = {"app_version": device_text(app_version), "sdk_version": __version__}
        self._device = device_json(device)

    # -- routes ------------------------------------------------------------------------------

    def redeem(
        self,
        base_url: str,
        *,
        code: str,
        nonce: str,
        app_id: str | None,
        code_verifier: str | None = None,
    ) -> Steps[Identity]:
        body: dict[str, Any] = {
            "authentication_code": code,
            "installation_nonce": nonce,
            "device": self._device,
            "app": self._app,
        }
        if app_id is not None:
            body["app_id"] = app_id
        if code_verifier is not None:
            body["code_verifier"] = code_verifier
        answer = yield from self._call("POST", base_url, "users", json=body)
        return _identity(answer, with_credentials=True)

    def register_install(
        self, base_url: str, *, app_id: str, secret: str, nonce: str
    ) -> Steps[Identity]:
        body = {"installation_nonce": nonce, "device": self._device, "app": self._app}
        answer = yield from self._call(
            "POST", base_url, "installs", json=body, auth=(app_id, secret)
        )
        return _identity(answer, with_credentials=True)

    def refresh(self, base_url: str, refresh_token: str) -> Steps[Credentials]:
        answer = yield from self._call(
            "POST", base_url, "token", json={"refresh_token": refresh_token}
        )
        return _credentials(_get(answer, "credentials", Mapping))

    def status(self, base_url: str, access_token: str) -> Steps[StatusAnswer]:
        answer = yield from self._call("GET", base_url, "status", token=access_token)
        reason = answer.get("inactive_reason")
        install_id = _get(answer, "install_id", str)
        return StatusAnswer(
            user_id=_get(answer, "user_id", str),
            install_id=install_id,
            is_linked=_get(answer, "is_linked", bool),
            is_remote_enabled=_get(answer, "is_remote_enabled", bool),
            inactive_reason=reason if isinstance(reason, str) else None,
            configuration=_optional_mapping(answer, "configuration"),
            displacement=read_displacement(answer.get("displacement"), install_id),
        )

    def reset(self, base_url: str, access_token: str) -> Steps[None]:
        yield from self._call("POST", base_url, "reset", token=access_token)

    def confirm_link(
        self, base_url: str, access_token: str, *, established: bool
    ) -> Steps[Identity]:
        body = {"established": True} if established else {}
        answer = yield from self._call(
            "POST", base_url, "link/confirm", json=body, token=access_token
        )
        return _identity(answer, with_credentials=False)

    def link(self, base_url: str, access_token: str, code: str) -> Steps[Identity]:
        body = {"authentication_code": code}
        answer = yield from self._call("POST", base_url, "link", json=body, token=access_token)
        return _identity(answer, with_credentials=False)

    def upload(
        self, base_url: str, access_token: str, payloads: Sequence[Mapping[str, Any]]
    ) -> Steps[UploadAnswer]:
        body = {"payloads": list(payloads)}
        answer = yield from self._call("POST", base_url, "payloads", json=body, token=access_token)
        results: dict[str, str] = {}
        for item in _get(answer, "results", list):
            if not isinstance(item, Mapping):
                raise ProtocolError("a payload result is not an object")
            results[_get(item, "id", str)] = _get(item, "status", str)
        return UploadAnswer(
            is_remote_enabled=_get(answer, "is_remote_enabled", bool), results=results
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        base_url: str,
        route: str,
        *,
        json: Mapping[str, Any] | None = None,
        token: str | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Steps[Mapping[str, Any]]:
        url = f"{base_url.rstrip('/')}/sdk/v1/{route}"
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif auth is not None:
            userpass = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {userpass}"
        outcome = yield Send(method, url, headers, json)
        answer = read_answer(outcome, method, route)
        if self._observer is not None:
            self._observer(answer)
        return answer


def read_answer(outcome: object, method: str, route: str) -> Mapping[str, Any]:
    """The JSON object of a success answer; an error answer, no answer (the transport's
    exception, sent back as a value) or an unreadable answer raise the matching `_api` error."""
    if isinstance(outcome, PinningError):
        raise NetworkError(str(outcome), pin_mismatch=True) from outcome
    if isinstance(outcome, httpx.TransportError):
        untrusted = _caused_by(outcome, ssl.SSLCertVerificationError)
        raise NetworkError(
            f"{type(outcome).__name__}: {outcome}", retryable=not untrusted
        ) from outcome
    if not isinstance(outcome, httpx.Response):  # pragma: no cover - the facades send these
        raise TypeError(f"a Send outcome must be a response or a transport error: {outcome!r}")
    response = outcome
    if response.is_success:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProtocolError(f"{method} {route}: the answer is not JSON") from exc
        if not isinstance(answer, Mapping):
            raise ProtocolError(f"{method} {route}: the answer is not a JSON object")
        return answer
    raise _api_error(response)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # httpx error <- httpcore error <- the ssl error
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _api_error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    retry_after = _retry_after(response) if response.status_code in RETRY_AFTER_STATUSES else None
    ref = next((response.headers[h] for h in REF_HEADERS if h in response.headers), None)
    if isinstance(body, Mapping):
        code = body.get("errorCode")
        message = body.get("message")
        body_ref = body.get("ref")
        return ApiError(
            response.status_code,
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else response.reason_phrase,
            request_ref=body_ref if isinstance(body_ref, str) and body_ref else ref,
            retry_after=retry_after,
        )
    return ApiError(
        response.status_code,
        None,
        response.text[:200] or response.reason_phrase,
        request_ref=ref,
        retry_after=retry_after,
    )


def _retry_after(response: httpx.Response) -> float | None:
    """The answer's `Retry-After` in seconds (None when absent or odd). A date is read against
    the answer's own `Date`, so a device clock that is off does not stretch or skip the wait."""
    value = response.headers.get("Retry-After", "").strip()
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
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # HTTP dates are GMT


def _get(answer: Mapping[str, Any], name: str, kind: type[Any]) -> Any:
    value = answer.get(name)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ProtocolError(f"the answer's {name!r} is missing or not a {kind.__name__}")
    return value


def _optional_mapping(answer: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = answer.get(name)
    return value if isinstance(value, Mapping) else None


def parse_timestamp(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ProtocolError(f"{name!r} is missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ProtocolError(f"{name!r} is not an ISO-8601 timestamp") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _credentials(raw: Mapping[str, Any]) -> Credentials:
    refresh_expiry = raw.get("refresh_token_expires_at")
    return Credentials(
        access_token=_get(raw, "access_token", str),
        access_token_expires_at=parse_timestamp(
            raw.get("access_token_expires_at"), "access_token_expires_at"
        ),
        refresh_token=_get(raw, "refresh_token", str),
        refresh_token_expires_at=(
            None
            if refresh_expiry is None
            else parse_timestamp(refresh_expiry, "refresh_token_expires_at")
        ),
    )


def _identity(answer: Mapping[str, Any], *, with_credentials: bool) -> Identity:
    restored = answer.get("restored")
    return Identity(
        user_id=_get(answer, "user_id", str),
        install_id=_get(answer, "install_id", str),
        is_linked=_get(answer, "is_linked", bool),
        restored=restored is True,
        credentials=(
            _credentials(_get(answer, "credentials", Mapping)) if with_credentials else None
        ),
        configuration=_optional_mapping(answer, "configuration"),
    )
