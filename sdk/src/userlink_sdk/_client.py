"""`UserLink`: the SDK object, one per device (per state directory)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from ._api import (
    ApiError,
    Identity,
    NetworkError,
    ProtocolError,
    SdkApi,
    StatusAnswer,
    UploadAnswer,
    parse_configuration,
)
from ._errors import (
    DeviceStateError,
    InitError,
    InitIssue,
    PayloadSubmissionError,
    PayloadSubmissionFailureReason,
    PayloadUploadError,
    PayloadUploadFailureReason,
    ResetError,
    ResetFailureReason,
    SdkStatusError,
    SdkStatusFailureReason,
    UserAccessTokenError,
    UserAccessTokenFailureReason,
    UserCreationError,
    UserCreationFailureReason,
    UserLinkingError,
    UserLinkingFailureReason,
)
from ._linkers import Linker, NoOpLinker, run_linker
from ._models import (
    DEFAULT_LINKER_TIMEOUT,
    DeviceInfo,
    InitState,
    LegacyConfig,
    ResetResult,
    SdkConfiguration,
    SdkStatus,
    Token,
    UploadReport,
    UserCreationOptions,
    UserCreationResult,
    UserInfo,
    UserLinkingResult,
)
from ._queue import PayloadQueue, QueuedPayload
from ._state import DeviceState, StateStore, credential_fingerprint
from ._transport import build_transport, parse_pins
from ._version import __version__

__all__ = ["UserLink"]

logger = logging.getLogger("userlink_sdk")

T = TypeVar("T")
E = TypeVar("E")

#: A token is refreshed when it expires within this margin.
REFRESH_MARGIN = timedelta(seconds=60)
#: Redemption: attempts of the same request (same nonce) on a network failure, and the backoff.
REDEEM_ATTEMPTS = 4
REDEEM_BACKOFF = 0.5
#: Upload: attempts of one batch on a transient failure (network, 429, 5xx), and the backoff.
UPLOAD_ATTEMPTS = 5
UPLOAD_BACKOFF = 1.0
MAX_BACKOFF = 30.0
#: Server answers to a batch that point at one bad payload inside it (bisected, then dropped).
_REFUSED_PAYLOAD_CODES = frozenset(
    {
        "PAYLOAD_TOO_LARGE",
        "VALIDATION_ERROR",
        "DUPLICATE_PAYLOAD_ID",
        "INVALID_PAYLOAD_BODY",
        "INVALID_TIMESTAMP",
    }
)
#: Server answers meaning this install can no longer act on the platform.
_DISABLED_CODES = frozenset(
    {
        "INSTALL_DEREGISTERED",
        "REFRESH_TOKEN_INVALID",
        "REFRESH_TOKEN_EXPIRED",
        "ACCESS_TOKEN_INVALID",
        "APP_DISABLED",
    }
)
_CODE_REASONS = {
    "AUTH_CODE_INVALID": "INVALID_AUTH_CODE",
    "AUTH_CODE_APP_MISMATCH": "INVALID_AUTH_CODE",
    "AUTH_CODE_EXPIRED": "EXPIRED_AUTH_CODE",
    "AUTH_CODE_ALREADY_USED": "AUTH_CODE_ALREADY_USED",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_url(url: str) -> str:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"platform_url must be an http(s) URL, not {url!r}")
    return url.rstrip("/")


@dataclasses.dataclass(frozen=True)
class _Reasons(Generic[E]):
    """How one public call names the internal failures."""

    network: E
    server: E
    unexpected: E
    disabled: E | None = None
    codes: Mapping[str, E] = dataclasses.field(default_factory=dict)

    def pick(self, exc: Exception) -> tuple[E, str, str | None]:
        if isinstance(exc, NetworkError):
            return self.network, exc.details, None
        if isinstance(exc, ApiError):
            code = exc.error_code
            if code is not None and code in self.codes:
                return self.codes[code], exc.details, code
            if self.disabled is not None and code in _DISABLED_CODES:
                return self.disabled, exc.details, code
            return self.server, exc.details, code
        if isinstance(exc, ProtocolError):
            return self.unexpected, f"unreadable answer from the platform: {exc}", None
        return self.unexpected, repr(exc), None


def _cause(exc: Exception) -> BaseException:
    """The exception to chain: a pin mismatch surfaces as its `PinningError`."""
    if isinstance(exc, NetworkError) and exc.pin_mismatch and exc.__cause__ is not None:
        return exc.__cause__
    return exc


_CREATION = _Reasons(
    network=UserCreationFailureReason.NETWORK_ERROR,
    server=UserCreationFailureReason.SERVER_ERROR,
    unexpected=UserCreationFailureReason.UNEXPECTED_ERROR,
    codes={code: UserCreationFailureReason(name) for code, name in _CODE_REASONS.items()},
)
_LINKING = _Reasons(
    network=UserLinkingFailureReason.NETWORK_ERROR,
    server=UserLinkingFailureReason.SERVER_ERROR,
    unexpected=UserLinkingFailureReason.UNEXPECTED_ERROR,
    disabled=UserLinkingFailureReason.USER_DISABLED_REMOTELY,
    codes={
        **{code: UserLinkingFailureReason(name) for code, name in _CODE_REASONS.items()},
        "USER_ALREADY_LINKED": UserLinkingFailureReason.USER_ALREADY_LINKED,
        "EXTERNAL_ID_ALREADY_LINKED": UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED,
        "INSTALL_NOT_LINKED": UserLinkingFailureReason.APP_SIDE_LINKING_FAILED,
    },
)
_TOKEN = _Reasons(
    network=UserAccessTokenFailureReason.NETWORK_ERROR,
    server=UserAccessTokenFailureReason.NETWORK_ERROR,
    unexpected=UserAccessTokenFailureReason.NETWORK_ERROR,
    disabled=UserAccessTokenFailureReason.USER_DISABLED_REMOTELY,
)
_STATUS = _Reasons(
    network=SdkStatusFailureReason.NETWORK_ERROR,
    server=SdkStatusFailureReason.SERVER_ERROR,
    unexpected=SdkStatusFailureReason.UNEXPECTED_ERROR,
    disabled=SdkStatusFailureReason.USER_DISABLED_REMOTELY,
)
_UPLOAD = _Reasons(
    network=PayloadUploadFailureReason.NETWORK_ERROR,
    server=PayloadUploadFailureReason.SERVER_ERROR,
    unexpected=PayloadUploadFailureReason.UNEXPECTED_ERROR,
    disabled=PayloadUploadFailureReason.USER_DISABLED_REMOTELY,
)
_LEGACY = _Reasons(
    network=InitIssue.SERVICE_UNREACHABLE,
    server=InitIssue.INITIALIZATION_ERROR,
    unexpected=InitIssue.INITIALIZATION_ERROR,
    disabled=InitIssue.REMOTE_DISABLED,
    codes={
        "INVALID_APP_CREDENTIALS": InitIssue.INVALID_CREDENTIALS,
        "APP_DISABLED": InitIssue.REMOTE_DISABLED,
        "INSTALL_NOT_LINKED": InitIssue.LINK_FAILED,
    },
)
#: create_user() with app credentials reports the legacy failures with its own reasons.
_LEGACY_TO_CREATION = {
    InitIssue.INVALID_CREDENTIALS: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.CHANGED_CREDENTIALS: UserCreationFailureReason.UNEXPECTED_ERROR,
    InitIssue.SERVICE_UNREACHABLE: UserCreationFailureReason.NETWORK_ERROR,
    InitIssue.LINK_FAILED: UserCreationFailureReason.APP_SIDE_LINKING_FAILED,
    InitIssue.REMOTE_DISABLED: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.INITIALIZATION_ERROR: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.SDK_RESET_IN_PROGRESS: UserCreationFailureReason.SDK_RESET_IN_PROGRESS,
}


class _LegacyFailure(Exception):
    def __init__(
        self,
        issue: InitIssue,
        details: str,
        error_code: str | None = None,
        *,
        unexpected: bool = False,
    ):
        super().__init__(details)
        self.issue = issue
        self.details = details
        self.error_code = error_code
        self.unexpected = unexpected

    @property
    def creation_reason(self) -> UserCreationFailureReason:
        if self.unexpected:
            return UserCreationFailureReason.UNEXPECTED_ERROR
        return _LEGACY_TO_CREATION[self.issue]


@dataclasses.dataclass
class _Tally:
    sent: int = 0
    processed: int = 0
    not_processed: int = 0
    duplicates: int = 0
    rejected: int = 0

    def count(self, answer: UploadAnswer, ids: Sequence[str]) -> None:
        for payload_id in ids:
            self.sent += 1
            status = answer.results[payload_id]
            if status == "processed":
                self.processed += 1
            elif status == "not_processed":
                self.not_processed += 1
            elif status == "duplicate":
                self.duplicates += 1

    def report(self, *, remaining: int, is_remote_enabled: bool) -> UploadReport:
        return UploadReport(
            sent=self.sent,
            processed=self.processed,
            not_processed=self.not_processed,
            duplicates=self.duplicates,
            rejected=self.rejected,
            remaining=remaining,
            is_remote_enabled=is_remote_enabled,
        )


class UserLink:
    """The userlink SDK for one device.

    `state_dir` holds the device state (`device_state.json`) and the payload queue
    (`queue.sqlite3`); give the SDK a directory of its own. Use one `UserLink` per state
    directory; it is safe to share between threads.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        device: DeviceInfo | None = None,
        app_version: str | None = None,
        platform_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        pinned_public_key_sha256: str | Sequence[str] | None = None,
        verify: ssl.SSLContext | str | bool = True,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if transport is not None and pinned_public_key_sha256 is not None:
            raise ValueError(
                "pinned_public_key_sha256 applies to the SDK's own transport: "
                "pass either transport or pinned_public_key_sha256"
            )
        if transport is not None and verify is not True:
            raise ValueError(
                "verify applies to the SDK's own transport: pass either transport or verify"
            )
        if transport is None:
            pins = parse_pins(pinned_public_key_sha256) if pinned_public_key_sha256 else None
            transport = build_transport(verify=verify, pins=pins)
        self._platform_url = _check_url(platform_url) if platform_url is not None else None
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"userlink-sdk-python/{__version__}"},
        )
        self._api = SdkApi(self._http, app_version=app_version, device=device or DeviceInfo())
        self._store = StateStore(Path(state_dir))
        self._queue = PayloadQueue(Path(state_dir))
        self._clock = clock or _utcnow
        self._sleep = sleep or time.sleep
        self._state: DeviceState | None = None
        self._unsaved = False  # the in-memory state holds changes a failed write did not save
        self._init_state = InitState.NOT_INITIALIZED
        # _phase_lock guards _init_state; _creation_lock makes a second create_user() fail fast;
        # _io_lock runs one state-changing operation at a time (reset waits for it);
        # _state_lock guards loading and swapping the in-memory state; _queue_lock the queue file.
        self._phase_lock = threading.Lock()
        self._creation_lock = threading.Lock()
        self._io_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._queue_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> UserLink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def init_state(self) -> InitState:
        return self._init_state

    def _resetting(self) -> bool:
        return self._init_state is InitState.RESETTING

    def initialize(self, config: LegacyConfig | None = None) -> None:
        """Load the device state (no network). With a `LegacyConfig`, also register the install
        with the app credentials if needed, call the linker and confirm the link."""
        with self._phase_lock:
            if self._init_state is InitState.RESETTING:
                raise InitError(InitIssue.SDK_RESET_IN_PROGRESS, "reset() is running")
            if self._init_state is InitState.INIT_IN_PROGRESS:
                raise InitError(InitIssue.INITIALIZATION_ERROR, "initialize() is already running")
            outcome = self._init_state
            self._init_state = InitState.INIT_IN_PROGRESS
        try:
            with self._io_lock:
                state = self._current()
                if config is not None:
                    base = self._base_url(state, config.platform_url)
                    try:
                        self._establish_legacy(
                            base,
                            app_id=config.app_id,
                            secret=config.secret,
                            linker=config.linker,
                            linker_timeout=config.linker_timeout,
                            replace_other_credentials=False,
                        )
                    except _LegacyFailure as failure:
                        raise InitError(
                            failure.issue, failure.details, error_code=failure.error_code
                        ) from failure.__cause__
                    except OSError as exc:
                        raise InitError(
                            InitIssue.INITIALIZATION_ERROR, f"the device state: {exc}"
                        ) from exc
            outcome = InitState.INITIALIZED
        finally:
            with self._phase_lock:
                self._init_state = outcome

    # -- identity ----------------------------------------------------------------------------

    def user_exists(self) -> bool:
        return self._current().user_exists

    def is_user_linked(self) -> bool:
        state = self._current()
        return state.user_exists and state.is_linked

    @property
    def user_id(self) -> str | None:
        state = self._current()
        return state.user_id if state.user_exists else None

    @property
    def configuration(self) -> SdkConfiguration:
        """The SDK configuration the platform sent last (defaults before any)."""
        return parse_configuration(self._current().configuration)

    def create_user(self, options: UserCreationOptions) -> UserCreationResult:
        legacy = options.auth_code is None
        if legacy and (not options.app_id or not options.secret or options.linker is None):
            raise ValueError(
                "UserCreationOptions needs auth_code, or app_id, secret and linker "
                "(NO_OP_LINKER for an unlinked user)"
            )
        if self._init_state is InitState.RESETTING:
            raise UserCreationError(
                UserCreationFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running"
            )
        if not self._creation_lock.acquire(blocking=False):
            raise UserCreationError(
                UserCreationFailureReason.USER_CREATION_IN_PROGRESS,
                "another create_user() is running on this device",
            )
        try:
            with self._io_lock:
                if self._resetting():
                    raise UserCreationError(
                        UserCreationFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running"
                    )
                state = self._current()
                if state.user_exists:
                    raise UserCreationError(
                        UserCreationFailureReason.USER_ALREADY_EXISTS,
                        f"user {state.user_id} exists on this device; reset() first",
                    )
                base = self._base_url(state, options.platform_url)
                try:
                    if legacy:
                        return self._create_with_linker(base, options)
                    return self._create_with_code(base, options)
                except OSError as exc:
                    raise UserCreationError(
                        UserCreationFailureReason.UNEXPECTED_ERROR,
                        f"cannot write the device state: {exc}",
                    ) from exc
        finally:
            self._creation_lock.release()

    def _create_with_code(self, base: str, options: UserCreationOptions) -> UserCreationResult:
        assert options.auth_code is not None
        code = options.auth_code
        nonce = self._ensure_nonce()
        try:
            identity = self._retrying(
                lambda: self._api.redeem(base, code=code, nonce=nonce, app_id=options.app_id),
                attempts=REDEEM_ATTEMPTS,
                backoff=REDEEM_BACKOFF,
            )
        except (NetworkError, ApiError, ProtocolError) as exc:
            reason, details, error_code = _CREATION.pick(exc)
            raise UserCreationError(reason, details, error_code=error_code) from _cause(exc)
        state = self._adopt(
            identity, base=base, app_id=options.app_id, fingerprint=None, established=True
        )
        return UserCreationResult(
            user_info=UserInfo(user_id=identity.user_id, token=self._token(state)),
            restored=identity.restored,
        )

    def _create_with_linker(self, base: str, options: UserCreationOptions) -> UserCreationResult:
        assert options.app_id is not None
        assert options.secret is not None
        assert options.linker is not None
        try:
            state, restored = self._establish_legacy(
                base,
                app_id=options.app_id,
                secret=options.secret,
                linker=options.linker,
                linker_timeout=options.linker_timeout,
                replace_other_credentials=True,
            )
        except _LegacyFailure as failure:
            raise UserCreationError(
                failure.creation_reason, failure.details, error_code=failure.error_code
            ) from failure.__cause__
        assert state.user_id is not None
        return UserCreationResult(
            user_info=UserInfo(user_id=state.user_id, token=self._token(state)),
            restored=restored,
        )

    def link_user(
        self,
        auth_code: str | None = None,
        *,
        linker: Linker | None = None,
        linker_timeout: float = DEFAULT_LINKER_TIMEOUT,
    ) -> UserLinkingResult:
        """Link the device's unlinked user (made with NO_OP_LINKER) to the app's user, with an
        authentication code or a linker."""
        if (auth_code is None) == (linker is None):
            raise ValueError("link_user() takes an auth_code or a linker")
        if isinstance(linker, NoOpLinker):
            raise ValueError("NO_OP_LINKER cannot link a user")
        with self._io_lock:
            state = self._current()
            if not state.user_exists:
                raise UserLinkingError(
                    UserLinkingFailureReason.NO_USER, "no user on this device; create_user() first"
                )
            if state.is_linked:
                raise UserLinkingError(
                    UserLinkingFailureReason.USER_ALREADY_LINKED,
                    f"user {state.user_id} is already linked",
                )
            assert state.install_id is not None
            base = self._base_url(state)
            try:
                if auth_code is not None:
                    code = auth_code
                    identity = self._authorized(base, lambda t: self._api.link(base, t, code))
                else:
                    assert linker is not None
                    outcome = run_linker(linker, state.install_id, linker_timeout)
                    if not outcome.success:
                        raise UserLinkingError(
                            UserLinkingFailureReason.APP_SIDE_LINKING_FAILED, outcome.details
                        )
                    identity = self._authorized(
                        base, lambda t: self._api.confirm_link(base, t, established=False)
                    )
            except (NetworkError, ApiError, ProtocolError) as exc:
                reason, details, error_code = _LINKING.pick(exc)
                if reason is UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED:
                    details += (
                        " (this external id already has a user: reset() and create_user() with"
                        " a new authentication code to restore it on this device)"
                    )
                raise UserLinkingError(reason, details, error_code=error_code) from _cause(exc)
            if not identity.is_linked:
                raise UserLinkingError(
                    UserLinkingFailureReason.UNEXPECTED_ERROR,
                    "the platform answered that the user is still unlinked",
                )
            state = self._commit(
                dataclasses.replace(
                    self._current(),
                    user_id=identity.user_id,
                    install_id=identity.install_id,
                    is_linked=True,
                    configuration=identity.configuration or self._current().configuration,
                )
            )
            return UserLinkingResult(
                user_info=UserInfo(user_id=identity.user_id, token=self._token(state))
            )

    def request_user_access_token(self) -> Token:
        """The user's access token: the cached one, refreshed first when it expires within
        60 seconds."""
        with self._io_lock:
            state = self._current()
            if not state.user_exists:
                raise UserAccessTokenError(
                    UserAccessTokenFailureReason.NO_USER, "no user on this device"
                )
            base = self._base_url(state)
            try:
                self._access_token(base)
            except (NetworkError, ApiError, ProtocolError) as exc:
                reason, details, error_code = _TOKEN.pick(exc)
                raise UserAccessTokenError(reason, details, error_code=error_code) from _cause(exc)
            return self._token(self._current())

    def sdk_status(self) -> SdkStatus:
        """Ask the platform for this install's status (`GET /sdk/v1/status`)."""
        with self._io_lock:
            state = self._current()
            if not state.user_exists:
                return SdkStatus(
                    is_remote_enabled=False,
                    user_exists=False,
                    is_linked=False,
                    user_id=None,
                    install_id=None,
                    inactive_reason=None,
                )
            base = self._base_url(state)
            try:
                answer = self._fetch_status(base)
            except (NetworkError, ApiError, ProtocolError) as exc:
                reason, details, error_code = _STATUS.pick(exc)
                raise SdkStatusError(reason, details, error_code=error_code) from _cause(exc)
            return SdkStatus(
                is_remote_enabled=answer.is_remote_enabled,
                user_exists=True,
                is_linked=answer.is_linked,
                user_id=answer.user_id,
                install_id=answer.install_id,
                inactive_reason=answer.inactive_reason,
            )

    def reset(self) -> ResetResult:
        """Deregister the install (best effort), then delete the device state and the payload
        queue."""
        with self._phase_lock:
            if self._init_state is InitState.RESETTING:
                raise ResetError(ResetFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running")
            if self._init_state is InitState.INIT_IN_PROGRESS:
                raise ResetError(ResetFailureReason.SDK_INIT_IN_PROGRESS, "initialize() is running")
            self._init_state = InitState.RESETTING
        try:
            with self._io_lock:
                deregistered, details = self._deregister()
                try:
                    with self._queue_lock:
                        self._queue.delete_file()
                    with self._state_lock:
                        self._store.delete()
                        self._state = DeviceState()
                        self._unsaved = False
                except OSError as exc:
                    raise ResetError(
                        ResetFailureReason.EXCEPTION_OR_ERROR,
                        f"cannot delete the device state: {exc}",
                    ) from exc
            logger.info("userlink: reset done (%s)", details)
            return ResetResult(
                init_state=InitState.NOT_INITIALIZED,
                deregistered_on_server=deregistered,
                details=details,
            )
        finally:
            with self._phase_lock:
                self._init_state = InitState.NOT_INITIALIZED

    # -- payloads ----------------------------------------------------------------------------

    def submit_payload(
        self, type: str, body: Mapping[str, Any], timestamp: datetime | None = None
    ) -> str:
        """Queue a payload durably and return its id; `upload_payloads()` sends it."""
        if not isinstance(type, str) or not type:
            raise ValueError("the payload type must be a non-empty string")
        if not isinstance(body, Mapping):
            raise TypeError("the payload body must be a JSON object (a mapping)")
        moment = timestamp or self._clock()
        if moment.tzinfo is None:
            raise ValueError("the payload timestamp must be timezone-aware")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if self._init_state is InitState.RESETTING:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.NO_USER, "reset() is running"
            )
        state = self._current()
        if not state.user_exists:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.NO_USER, "no user on this device"
            )
        limit = parse_configuration(state.configuration).upload.max_payload_bytes
        size = len(text.encode())
        if size > limit:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.PAYLOAD_TOO_LARGE,
                f"the body is {size} bytes as JSON; the platform accepts at most {limit}",
            )
        payload_id = str(uuid.uuid4())
        with self._queue_lock:
            self._queue.append(
                QueuedPayload(id=payload_id, type=type, timestamp=_iso(moment), body=text)
            )
        return payload_id

    def pending_payloads(self) -> int:
        """How many payloads wait in the queue."""
        with self._queue_lock:
            return self._queue.count()

    def upload_payloads(self, max_batches: int | None = None) -> UploadReport:
        """Send queued payloads in batches; nothing is sent while the install is inactive."""
        with self._io_lock:
            state = self._current()
            if not state.user_exists:
                raise PayloadUploadError(
                    PayloadUploadFailureReason.NO_USER, "no user on this device"
                )
            base = self._base_url(state)
            tally = _Tally()
            enabled = parse_configuration(state.configuration).is_remote_enabled
            try:
                if not enabled and self.pending_payloads():
                    # Inactive when last heard: ask before sending, it may be active again.
                    enabled = self._fetch_status(base).is_remote_enabled
                if enabled:
                    enabled = self._upload_batches(base, tally, max_batches)
            except (NetworkError, ApiError, ProtocolError) as exc:
                reason, details, error_code = _UPLOAD.pick(exc)
                report = tally.report(remaining=self.pending_payloads(), is_remote_enabled=enabled)
                raise PayloadUploadError(
                    reason, details, error_code=error_code, report=report
                ) from _cause(exc)
            return tally.report(remaining=self.pending_payloads(), is_remote_enabled=enabled)

    def _upload_batches(self, base: str, tally: _Tally, max_batches: int | None) -> bool:
        configured = max(
            1, min(parse_configuration(self._current().configuration).upload.max_batch_size, 100)
        )
        size = configured
        batches = 0
        while max_batches is None or batches < max_batches:
            with self._queue_lock:
                rows = self._queue.peek(size)
            if not rows:
                break
            try:
                answer = self._send_batch(base, rows)
            except ApiError as exc:
                if exc.error_code == "BATCH_TOO_LARGE" and len(rows) > 1:
                    size = max(1, len(rows) // 2)
                    continue
                if exc.error_code not in _REFUSED_PAYLOAD_CODES:
                    raise
                if len(rows) > 1:
                    size = max(1, len(rows) // 2)  # bisect to find the refused payload
                    continue
                logger.warning(
                    "userlink: the platform refused payload %s (%s); dropped", rows[0].id, exc
                )
                with self._queue_lock:
                    self._queue.delete([rows[0].id])
                tally.rejected += 1
                size = configured
                continue
            batches += 1
            acknowledged = [r.id for r in rows if r.id in answer.results]
            with self._queue_lock:
                self._queue.delete(acknowledged)
            tally.count(answer, acknowledged)
            self._remember_remote_enabled(answer.is_remote_enabled, None)
            if not answer.is_remote_enabled:
                return False
            if len(acknowledged) < len(rows):
                logger.warning("userlink: the platform did not acknowledge every payload sent")
                break
        return True

    def _send_batch(self, base: str, rows: Sequence[QueuedPayload]) -> UploadAnswer:
        wire = [
            {"id": r.id, "type": r.type, "timestamp": r.timestamp, "body": json.loads(r.body)}
            for r in rows
        ]
        return self._retrying(
            lambda: self._authorized(base, lambda t: self._api.upload(base, t, wire)),
            attempts=UPLOAD_ATTEMPTS,
            backoff=UPLOAD_BACKOFF,
        )

    # -- internals: state --------------------------------------------------------------------

    def _current(self) -> DeviceState:
        with self._state_lock:
            if self._state is None:
                self._state = self._store.load()
            return self._state

    def _commit(self, state: DeviceState, *, keep_on_write_failure: bool = False) -> DeviceState:
        """Save `state` and make it current. With `keep_on_write_failure`, a failed write still
        makes it current (the next write saves it): used for rotated credentials, which the
        server has already made the only valid ones."""
        with self._state_lock:
            if state != self._state or self._unsaved:
                try:
                    self._store.save(state)
                except OSError:
                    if not keep_on_write_failure:
                        raise
                    logger.exception("userlink: cannot save the device state; kept in memory")
                    self._unsaved = True
                else:
                    self._unsaved = False
                self._state = state
            return state

    def _base_url(self, state: DeviceState, override: str | None = None) -> str:
        url = override or self._platform_url or state.platform_url
        if url is None:
            raise ValueError(
                "no platform_url: pass it to UserLink(...), UserCreationOptions or LegacyConfig"
            )
        return _check_url(url)

    def _ensure_nonce(self) -> str:
        """The installation nonce, generated and persisted before its first use."""
        state = self._current()
        if state.installation_nonce is None:
            state = self._commit(
                dataclasses.replace(state, installation_nonce=secrets.token_urlsafe(32))
            )
        assert state.installation_nonce is not None
        return state.installation_nonce

    def _adopt(
        self,
        identity: Identity,
        *,
        base: str,
        app_id: str | None,
        fingerprint: str | None,
        established: bool,
    ) -> DeviceState:
        credentials = identity.credentials
        if credentials is None:  # pragma: no cover - parsed with credentials
            raise ProtocolError("the answer has no credentials")
        return self._commit(
            dataclasses.replace(
                self._current(),
                platform_url=base,
                app_id=app_id,
                credential_fingerprint=fingerprint,
                user_id=identity.user_id,
                install_id=identity.install_id,
                is_linked=identity.is_linked,
                user_established=established,
                access_token=credentials.access_token,
                access_token_expires_at=credentials.access_token_expires_at,
                refresh_token=credentials.refresh_token,
                refresh_token_expires_at=credentials.refresh_token_expires_at,
                configuration=identity.configuration,
                inactive_reason=None,
            )
        )

    @staticmethod
    def _token(state: DeviceState) -> Token:
        assert state.access_token is not None
        assert state.access_token_expires_at is not None
        return Token(token_id=state.access_token, expiry_date=state.access_token_expires_at)

    def _remember_remote_enabled(self, enabled: bool, status: StatusAnswer | None) -> None:
        state = self._current()
        configuration = dict(state.configuration or {})
        if status is not None and status.configuration is not None:
            configuration = dict(status.configuration)
        configuration["is_remote_enabled"] = enabled
        changes: dict[str, Any] = {"configuration": configuration}
        if status is not None:
            changes.update(
                user_id=status.user_id,
                install_id=status.install_id,
                is_linked=status.is_linked,
                inactive_reason=status.inactive_reason,
            )
        self._commit(dataclasses.replace(state, **changes))

    # -- internals: network ------------------------------------------------------------------

    def _retrying(self, call: Callable[[], T], *, attempts: int, backoff: float) -> T:
        """Repeat `call` on transient failures (network, 429, 5xx) with exponential backoff.
        A pin mismatch or an untrusted certificate is never retried."""
        for attempt in range(attempts):
            try:
                return call()
            except NetworkError as exc:
                if not exc.retryable or attempt + 1 == attempts:
                    raise
                logger.info("userlink: network failure (%s), retrying", exc.details)
            except ApiError as exc:
                if not exc.is_transient or attempt + 1 == attempts:
                    raise
                logger.info("userlink: transient server failure (%s), retrying", exc.details)
            self._sleep(min(backoff * 2**attempt, MAX_BACKOFF))
        raise AssertionError("unreachable")  # pragma: no cover

    def _access_token(self, base: str, *, force_refresh: bool = False) -> str:
        """A valid access token, refreshed (and the rotated credentials saved) when needed."""
        state = self._current()
        expires_at = state.access_token_expires_at
        if (
            not force_refresh
            and state.access_token is not None
            and expires_at is not None
            and expires_at - self._clock() > REFRESH_MARGIN
        ):
            return state.access_token
        if state.refresh_token is None:
            raise ApiError(401, "REFRESH_TOKEN_INVALID", "no refresh token on this device")
        credentials = self._api.refresh(base, state.refresh_token)
        self._commit(
            dataclasses.replace(
                self._current(),
                access_token=credentials.access_token,
                access_token_expires_at=credentials.access_token_expires_at,
                refresh_token=credentials.refresh_token,
                refresh_token_expires_at=credentials.refresh_token_expires_at,
            ),
            keep_on_write_failure=True,
        )
        return credentials.access_token

    def _authorized(self, base: str, call: Callable[[str], T]) -> T:
        """`call(access_token)`; on 401 ACCESS_TOKEN_EXPIRED refresh and try once more."""
        try:
            return call(self._access_token(base))
        except ApiError as exc:
            if exc.status != 401 or exc.error_code != "ACCESS_TOKEN_EXPIRED":
                raise
        return call(self._access_token(base, force_refresh=True))

    def _fetch_status(self, base: str) -> StatusAnswer:
        answer = self._authorized(base, lambda t: self._api.status(base, t))
        self._remember_remote_enabled(answer.is_remote_enabled, answer)
        return answer

    def _deregister(self) -> tuple[bool, str]:
        try:
            state = self._current()
        except DeviceStateError as exc:
            return False, (
                f"the device state could not be read ({exc.problem}); "
                "the install was not deregistered on the server"
            )
        if state.install_id is None or state.refresh_token is None:
            return False, "no install on this device"
        try:
            base = self._base_url(state)
            self._authorized(base, lambda t: self._api.reset(base, t))
        except NetworkError as exc:
            return False, (
                f"the platform could not be reached ({exc.details}); the install stays "
                "registered on the server"
            )
        except ApiError as exc:
            if exc.status == 401:
                return False, f"the server already considers the install deregistered ({exc})"
            return False, f"the server refused to deregister the install ({exc})"
        except (ProtocolError, ValueError, OSError) as exc:
            return False, f"the install could not be deregistered ({exc})"
        return True, "the install is deregistered on the server"

    # -- internals: legacy flow --------------------------------------------------------------

    def _establish_legacy(
        self,
        base: str,
        *,
        app_id: str,
        secret: str,
        linker: Linker,
        linker_timeout: float,
        replace_other_credentials: bool,
    ) -> tuple[DeviceState, bool]:
        """Register (if needed), call the linker, confirm. Returns the state and whether the
        install joined another, existing user."""
        fingerprint = credential_fingerprint(app_id, secret)
        state = self._current()
        other_credentials = state.user_id is not None and (
            (
                state.credential_fingerprint is not None
                and state.credential_fingerprint != fingerprint
            )
            or (state.app_id is not None and state.app_id != app_id)
        )
        if other_credentials:
            if not replace_other_credentials:
                raise _LegacyFailure(
                    InitIssue.CHANGED_CREDENTIALS,
                    "the device state was created with other app credentials; reset() (or "
                    "clear the app's data) before using new ones",
                )
            # create_user(): only an unfinished registration can be here; start afresh.
            state = self._commit(
                DeviceState(
                    platform_url=state.platform_url, installation_nonce=state.installation_nonce
                )
            )
        if state.user_id is None:
            nonce = self._ensure_nonce()
            try:
                identity = self._api.register_install(
                    base, app_id=app_id, secret=secret, nonce=nonce
                )
            except (NetworkError, ApiError, ProtocolError) as exc:
                raise self._legacy_failure(exc) from _cause(exc)
            state = self._adopt(
                identity, base=base, app_id=app_id, fingerprint=fingerprint, established=False
            )
        elif state.credential_fingerprint is None and state.app_id is None:
            state = self._commit(
                dataclasses.replace(state, app_id=app_id, credential_fingerprint=fingerprint)
            )
        if state.user_established and (state.is_linked or isinstance(linker, NoOpLinker)):
            return state, False
        assert state.install_id is not None
        first_user = state.user_id
        if not isinstance(linker, NoOpLinker):
            outcome = run_linker(linker, state.install_id, linker_timeout)
            if not outcome.success:
                raise _LegacyFailure(InitIssue.LINK_FAILED, outcome.details)
        established = isinstance(linker, NoOpLinker)
        try:
            identity = self._authorized(
                base, lambda t: self._api.confirm_link(base, t, established=established)
            )
        except (NetworkError, ApiError, ProtocolError) as exc:
            raise self._legacy_failure(exc) from _cause(exc)
        state = self._commit(
            dataclasses.replace(
                self._current(),
                user_id=identity.user_id,
                install_id=identity.install_id,
                is_linked=identity.is_linked,
                user_established=True,
                configuration=identity.configuration or state.configuration,
            )
        )
        return state, identity.user_id != first_user

    @staticmethod
    def _legacy_failure(exc: Exception) -> _LegacyFailure:
        issue, details, error_code = _LEGACY.pick(exc)
        return _LegacyFailure(issue, details, error_code, unexpected=isinstance(exc, ProtocolError))
