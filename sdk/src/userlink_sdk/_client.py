"""`UserLink`: the SDK object, one per device (per state directory).

The facade: it checks arguments, runs the call phases and locks, hands the work to the parts
(`_device`, `_session`, `_install`, `_legacy`, `_upload`) and names their platform failures
with `_reasons`. The parts never import it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ._api import SdkApi, parse_configuration
from ._device import Device, token_of
from ._displacement import DisplacementWatch, Listener
from ._errors import (
    InitError,
    InitIssue,
    PayloadSubmissionError,
    PayloadSubmissionFailureReason,
    PayloadUploadError,
    PayloadUploadFailureReason,
    ResetError,
    ResetFailureReason,
    SdkStatusError,
    UserAccessTokenError,
    UserAccessTokenFailureReason,
    UserCreationError,
    UserCreationFailureReason,
    UserLinkingError,
    UserLinkingFailureReason,
)
from ._install import Install
from ._legacy import LegacyFailure, LegacyLinking
from ._linkers import Linker, NoOpLinker
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
from ._queue import PayloadQueue
from ._reasons import CREATION, LINKING, PLATFORM_FAILURES, STATUS, TOKEN, UPLOAD, cause
from ._session import Session
from ._state import StateStore
from ._transport import build_transport, parse_pins
from ._upload import Progress, Uploader, new_payload
from ._version import __version__

__all__ = ["UserLink"]

logger = logging.getLogger("userlink_sdk")


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        self._device = Device(StateStore(Path(state_dir)), platform_url=platform_url)
        self._displacement = DisplacementWatch(
            Path(state_dir), install_id=lambda: self._device.current().install_id
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"userlink-sdk-python/{__version__}"},
        )
        api = SdkApi(
            self._http,
            app_version=app_version,
            device=device or DeviceInfo(),
            observer=self._displacement.observe,
        )
        self._clock = clock or _utcnow
        # `timeout` also bounds the Retry-After waits of one call: the caller's only deadline.
        self._session = Session(
            api,
            self._device,
            clock=self._clock,
            sleep=sleep or time.sleep,
            retry_after_budget=timeout,
        )
        self._install = Install(api, self._device, self._session)
        self._legacy = LegacyLinking(api, self._device, self._session)
        self._uploader = Uploader(
            api, self._device, self._session, self._install, PayloadQueue(Path(state_dir))
        )
        self._init_state = InitState.NOT_INITIALIZED
        # _phase_lock guards _init_state; _creation_lock makes a second create_user() fail fast;
        # _io_lock runs one state-changing operation at a time (reset waits for it).
        self._phase_lock = threading.Lock()
        self._creation_lock = threading.Lock()
        self._io_lock = threading.RLock()

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

    def set_user_displaced_listener(self, listener: Listener | None) -> None:
        """Register the app's listener for displacement: another install of this user (a new
        phone, say) took the active role from this one. Called once per displacement, from the
        SDK call whose answer brought the news (`sdk_status()`, `upload_payloads()`, a token
        refresh), with a `UserDisplacedEvent`; an object with `on_user_displaced(event)` or a
        plain callable. `None` removes it. What the listener raises is logged, not raised."""
        self._displacement.set_listener(listener)

    @property
    def init_state(self) -> InitState:
        return self._init_state

    def _resetting(self) -> bool:
        return self._init_state is InitState.RESETTING

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        """One state-changing operation at a time, each with its own Retry-After budget."""
        with self._io_lock:
            self._session.start_call()
            yield

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
            with self._io():
                state = self._device.current()
                if config is not None:
                    base = self._device.base_url(state, config.platform_url)
                    try:
                        self._legacy.establish(
                            base,
                            app_id=config.app_id,
                            secret=config.secret,
                            linker=config.linker,
                            linker_timeout=config.linker_timeout,
                            replace_other_credentials=False,
                        )
                    except LegacyFailure as exc:
                        raise exc.failure.error(InitError) from exc.__cause__
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
        return self._device.current().user_exists

    def is_user_linked(self) -> bool:
        state = self._device.current()
        return state.user_exists and state.is_linked

    @property
    def user_id(self) -> str | None:
        state = self._device.current()
        return state.user_id if state.user_exists else None

    @property
    def configuration(self) -> SdkConfiguration:
        """The SDK configuration the platform sent last (defaults before any)."""
        return parse_configuration(self._device.current().configuration)

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
            with self._io():
                if self._resetting():
                    raise UserCreationError(
                        UserCreationFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running"
                    )
                state = self._device.current()
                if state.user_exists:
                    raise UserCreationError(
                        UserCreationFailureReason.USER_ALREADY_EXISTS,
                        f"user {state.user_id} exists on this device; reset() first",
                    )
                base = self._device.base_url(state, options.platform_url)
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
        try:
            identity, state = self._install.redeem(
                base, code=options.auth_code, app_id=options.app_id
            )
        except PLATFORM_FAILURES as exc:
            raise CREATION.pick(exc).error(UserCreationError) from cause(exc)
        return UserCreationResult(
            user_info=UserInfo(user_id=identity.user_id, token=token_of(state)),
            restored=identity.restored,
        )

    def _create_with_linker(self, base: str, options: UserCreationOptions) -> UserCreationResult:
        assert options.app_id is not None
        assert options.secret is not None
        assert options.linker is not None
        try:
            state, restored = self._legacy.establish(
                base,
                app_id=options.app_id,
                secret=options.secret,
                linker=options.linker,
                linker_timeout=options.linker_timeout,
                replace_other_credentials=True,
            )
        except LegacyFailure as exc:
            raise exc.creation.error(UserCreationError) from exc.__cause__
        assert state.user_id is not None
        return UserCreationResult(
            user_info=UserInfo(user_id=state.user_id, token=token_of(state)),
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
        with self._io():
            state = self._device.current()
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
            base = self._device.base_url(state)
            try:
                state = self._install.link(
                    base,
                    state.install_id,
                    auth_code=auth_code,
                    linker=linker,
                    linker_timeout=linker_timeout,
                )
            except PLATFORM_FAILURES as exc:
                failure = LINKING.pick(exc)
                if failure.reason is UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED:
                    failure = dataclasses.replace(
                        failure,
                        details=failure.details
                        + " (this external id already has a user: reset() and create_user() with"
                        " a new authentication code to restore it on this device)",
                    )
                raise failure.error(UserLinkingError) from cause(exc)
            assert state.user_id is not None
            return UserLinkingResult(
                user_info=UserInfo(user_id=state.user_id, token=token_of(state))
            )

    def request_user_access_token(self) -> Token:
        """The user's access token: the cached one, refreshed first when it expires within
        60 seconds."""
        with self._io():
            state = self._device.current()
            if not state.user_exists:
                raise UserAccessTokenError(
                    UserAccessTokenFailureReason.NO_USER, "no user on this device"
                )
            base = self._device.base_url(state)
            try:
                self._session.access_token(base)
            except PLATFORM_FAILURES as exc:
                raise TOKEN.pick(exc).error(UserAccessTokenError) from cause(exc)
            return token_of(self._device.current())

    def sdk_status(self) -> SdkStatus:
        """Ask the platform for this install's status (`GET /sdk/v1/status`)."""
        with self._io():
            state = self._device.current()
            if not state.user_exists:
                return SdkStatus(
                    is_remote_enabled=False,
                    user_exists=False,
                    is_linked=False,
                    user_id=None,
                    install_id=None,
                    inactive_reason=None,
                )
            base = self._device.base_url(state)
            try:
                answer = self._install.fetch_status(base)
            except PLATFORM_FAILURES as exc:
                raise STATUS.pick(exc).error(SdkStatusError) from cause(exc)
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
            with self._io():
                deregistered, details = self._install.deregister()
                try:
                    self._uploader.forget()
                    self._device.forget()
                    self._displacement.forget()
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
        payload = new_payload(type, body, timestamp or self._clock())
        if self._init_state is InitState.RESETTING:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.NO_USER, "reset() is running"
            )
        return self._uploader.submit(payload)

    def pending_payloads(self) -> int:
        """How many payloads wait in the queue."""
        return self._uploader.pending()

    def upload_payloads(self, max_batches: int | None = None) -> UploadReport:
        """Send queued payloads in batches; nothing is sent while the install is inactive."""
        with self._io():
            state = self._device.current()
            if not state.user_exists:
                raise PayloadUploadError(
                    PayloadUploadFailureReason.NO_USER, "no user on this device"
                )
            base = self._device.base_url(state)
            progress = Progress()
            try:
                self._uploader.upload(base, progress, max_batches)
            except PLATFORM_FAILURES as exc:
                report = progress.report(remaining=self.pending_payloads())
                raise UPLOAD.pick(exc).error(PayloadUploadError, report=report) from cause(exc)
            return progress.report(remaining=self.pending_payloads())
