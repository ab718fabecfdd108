"""What `UserLink` and `AsyncUserLink` share: every public call's checks, phases and work.

Each call that reaches the platform is a generator of effects (`_effects`); the two facades
only perform them (blocking or awaiting) and hold the locks around them. The core checks
arguments, runs the parts (`_device`, `_session`, `_install`, `_legacy`, `_upload`) and names
their platform failures with `_reasons`. The parts never import it, nor the facades.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._api import SdkApi, parse_configuration
from ._device import Device, token_of
from ._displacement import DisplacementWatch
from ._effects import Steps
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
from ._upload import Progress, Uploader, new_payload

__all__ = ["DeviceCore"]

logger = logging.getLogger("userlink_sdk")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DeviceCore:
    """One device's SDK minus the I/O: the facades own one each."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        device: DeviceInfo | None,
        app_version: str | None,
        platform_url: str | None,
        timeout: float,
        clock: Callable[[], datetime] | None,
    ) -> None:
        self.device = Device(StateStore(Path(state_dir)), platform_url=platform_url)
        self.displacement = DisplacementWatch(
            Path(state_dir), install_id=lambda: self.device.current().install_id
        )
        api = SdkApi(
            app_version=app_version,
            device=device or DeviceInfo(),
            observer=self.displacement.observe,
        )
        self.clock = clock or _utcnow
        # `timeout` also bounds the Retry-After waits of one call: the caller's only deadline.
        self.session = Session(api, self.device, clock=self.clock, retry_after_budget=timeout)
        self.install = Install(api, self.device, self.session)
        self.legacy = LegacyLinking(api, self.device, self.session)
        self.uploader = Uploader(
            api, self.device, self.session, self.install, PayloadQueue(Path(state_dir))
        )
        self.init_state = InitState.NOT_INITIALIZED
        # phase_lock guards init_state; creation_lock makes a second create_user() fail fast
        # (held across the call, taken without waiting, so it serves threads and tasks alike).
        self.phase_lock = threading.Lock()
        self.creation_lock = threading.Lock()

    # -- phases ------------------------------------------------------------------------------

    def resetting(self) -> bool:
        return self.init_state is InitState.RESETTING

    def begin_initialize(self) -> InitState:
        """Enter INIT_IN_PROGRESS; returns the phase to go back to when the call fails."""
        with self.phase_lock:
            if self.init_state is InitState.RESETTING:
                raise InitError(InitIssue.SDK_RESET_IN_PROGRESS, "reset() is running")
            if self.init_state is InitState.INIT_IN_PROGRESS:
                raise InitError(InitIssue.INITIALIZATION_ERROR, "initialize() is already running")
            outcome = self.init_state
            self.init_state = InitState.INIT_IN_PROGRESS
        return outcome

    def begin_reset(self) -> None:
        with self.phase_lock:
            if self.init_state is InitState.RESETTING:
                raise ResetError(ResetFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running")
            if self.init_state is InitState.INIT_IN_PROGRESS:
                raise ResetError(ResetFailureReason.SDK_INIT_IN_PROGRESS, "initialize() is running")
            self.init_state = InitState.RESETTING

    def end_phase(self, state: InitState) -> None:
        with self.phase_lock:
            self.init_state = state

    def begin_creation(self, options: UserCreationOptions) -> None:
        """Check `create_user()`'s options and take the creation lock (release it after)."""
        legacy = options.auth_code is None
        if legacy and (not options.app_id or not options.secret or options.linker is None):
            raise ValueError(
                "UserCreationOptions needs auth_code, or app_id, secret and linker "
                "(NO_OP_LINKER for an unlinked user)"
            )
        if self.resetting():
            raise UserCreationError(
                UserCreationFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running"
            )
        if not self.creation_lock.acquire(blocking=False):
            raise UserCreationError(
                UserCreationFailureReason.USER_CREATION_IN_PROGRESS,
                "another create_user() is running on this device",
            )

    @staticmethod
    def check_link(auth_code: str | None, linker: Linker | None) -> None:
        if (auth_code is None) == (linker is None):
            raise ValueError("link_user() takes an auth_code or a linker")
        if isinstance(linker, NoOpLinker):
            raise ValueError("NO_OP_LINKER cannot link a user")

    # -- identity, local ---------------------------------------------------------------------

    def begin_user_creation(self) -> str:
        """A PKCE verifier kept in the device state; its S256 challenge (Install.begin_creation)."""
        return self.install.begin_creation()

    def user_exists(self) -> bool:
        return self.device.current().user_exists

    def is_user_linked(self) -> bool:
        state = self.device.current()
        return state.user_exists and state.is_linked

    @property
    def user_id(self) -> str | None:
        state = self.device.current()
        return state.user_id if state.user_exists else None

    @property
    def configuration(self) -> SdkConfiguration:
        return parse_configuration(self.device.current().configuration)

    # -- the calls that reach the platform (run inside the facade's I/O lock) ----------------

    def initialize(self, config: LegacyConfig | None) -> Steps[None]:
        state = self.device.current()
        if config is None:
            return
        base = self.device.base_url(state, config.platform_url)
        try:
            yield from self.legacy.establish(
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
            raise InitError(InitIssue.INITIALIZATION_ERROR, f"the device state: {exc}") from exc

    def create_user(self, options: UserCreationOptions) -> Steps[UserCreationResult]:
        if self.resetting():
            raise UserCreationError(
                UserCreationFailureReason.SDK_RESET_IN_PROGRESS, "reset() is running"
            )
        state = self.device.current()
        if state.user_exists:
            raise UserCreationError(
                UserCreationFailureReason.USER_ALREADY_EXISTS,
                f"user {state.user_id} exists on this device; reset() first",
            )
        base = self.device.base_url(state, options.platform_url)
        try:
            if options.auth_code is None:
                return (yield from self._create_with_linker(base, options))
            return (yield from self._create_with_code(base, options.auth_code, options.app_id))
        except OSError as exc:
            raise UserCreationError(
                UserCreationFailureReason.UNEXPECTED_ERROR,
                f"cannot write the device state: {exc}",
            ) from exc

    def _create_with_code(
        self, base: str, code: str, app_id: str | None
    ) -> Steps[UserCreationResult]:
        """The redemption (`POST /sdk/v1/users`): the one place a code becomes this device's
        user, for both facades."""
        try:
            identity, state = yield from self.install.redeem(base, code=code, app_id=app_id)
        except PLATFORM_FAILURES as exc:
            raise CREATION.pick(exc).error(UserCreationError) from cause(exc)
        return UserCreationResult(
            user_info=UserInfo(user_id=identity.user_id, token=token_of(state)),
            restored=identity.restored,
        )

    def _create_with_linker(
        self, base: str, options: UserCreationOptions
    ) -> Steps[UserCreationResult]:
        assert options.app_id is not None
        assert options.secret is not None
        assert options.linker is not None
        try:
            state, restored = yield from self.legacy.establish(
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
        self, auth_code: str | None, linker: Linker | None, linker_timeout: float
    ) -> Steps[UserLinkingResult]:
        state = self.device.current()
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
        base = self.device.base_url(state)
        try:
            state = yield from self.install.link(
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
        return UserLinkingResult(user_info=UserInfo(user_id=state.user_id, token=token_of(state)))

    def request_user_access_token(self) -> Steps[Token]:
        state = self.device.current()
        if not state.user_exists:
            raise UserAccessTokenError(
                UserAccessTokenFailureReason.NO_USER, "no user on this device"
            )
        base = self.device.base_url(state)
        try:
            yield from self.session.access_token(base)
        except PLATFORM_FAILURES as exc:
            raise TOKEN.pick(exc).error(UserAccessTokenError) from cause(exc)
        return token_of(self.device.current())

    def sdk_status(self) -> Steps[SdkStatus]:
        state = self.device.current()
        if not state.user_exists:
            return SdkStatus(
                is_remote_enabled=False,
                user_exists=False,
                is_linked=False,
                user_id=None,
                install_id=None,
                inactive_reason=None,
            )
        base = self.device.base_url(state)
        try:
            answer = yield from self.install.fetch_status(base)
        except PLATFORM_FAILURES as exc:
            raise STATUS.pick(exc).error(SdkStatusError) from cause(exc)
        return SdkStatus(
            is_remote_enabled=answer.is_remote_enabled,
            user_exists=True,
            is_linked=answer.is_linked,
            user_id=answer.user_id,
            install_id=answer.install_id,
            inactive_reason=answer.inactive_reason,
            displacement=answer.displacement if not answer.is_remote_enabled else None,
        )

    def reset(self) -> Steps[ResetResult]:
        deregistered, details = yield from self.install.deregister()
        try:
            self.uploader.forget()
            self.device.forget()
            self.displacement.forget()
        except OSError as exc:
            raise ResetError(
                ResetFailureReason.EXCEPTION_OR_ERROR, f"cannot delete the device state: {exc}"
            ) from exc
        logger.info("userlink: reset done (%s)", details)
        return ResetResult(
            init_state=InitState.NOT_INITIALIZED,
            deregistered_on_server=deregistered,
            details=details,
        )

    # -- payloads ----------------------------------------------------------------------------

    def submit_payload(self, type: str, body: Mapping[str, Any], timestamp: datetime | None) -> str:
        payload = new_payload(type, body, timestamp or self.clock())
        if self.resetting():
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.NO_USER, "reset() is running"
            )
        return self.uploader.submit(payload)

    def pending_payloads(self) -> int:
        return self.uploader.pending()

    def upload_payloads(self, max_batches: int | None) -> Steps[UploadReport]:
        state = self.device.current()
        if not state.user_exists:
            raise PayloadUploadError(PayloadUploadFailureReason.NO_USER, "no user on this device")
        base = self.device.base_url(state)
        progress = Progress()
        try:
            yield from self.uploader.upload(base, progress, max_batches)
        except PLATFORM_FAILURES as exc:
            report = progress.report(remaining=self.pending_payloads())
            raise UPLOAD.pick(exc).error(PayloadUploadError, report=report) from cause(exc)
        return progress.report(remaining=self.pending_payloads())
