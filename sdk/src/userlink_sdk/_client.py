"""`UserLink`: the SDK object, one per device (per state directory), blocking.

The sync shell over the shared core (`_core`): it performs the core's effects with blocking
calls (an `httpx.Client`, `time.sleep`, the linker on a worker thread) and runs one
state-changing call at a time. `AsyncUserLink` (`_async_client`) is its twin.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._core import DeviceCore
from ._displacement import Listener
from ._effects import Effect, Send, Sleep, Steps
from ._errors import PinningError
from ._linkers import Linker, run_linker
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
    UserLinkingResult,
)
from ._transport import build_transport, check_transport_options, parse_pins
from ._version import __version__

__all__ = ["UserLink"]

T = TypeVar("T")


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
        check_transport_options(transport, pinned_public_key_sha256, verify)
        if transport is None:
            pins = parse_pins(pinned_public_key_sha256) if pinned_public_key_sha256 else None
            transport = build_transport(verify=verify, pins=pins)
        self._core = DeviceCore(
            state_dir,
            device=device,
            app_version=app_version,
            platform_url=platform_url,
            timeout=timeout,
            clock=clock,
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"userlink-sdk-python/{__version__}"},
        )
        self._sleep = sleep or time.sleep
        # One state-changing operation at a time (reset waits for it).
        self._io_lock = threading.RLock()

    # -- the shell ---------------------------------------------------------------------------

    def _run(self, steps: Steps[T]) -> T:
        """Drive the core: perform each effect it yields, send the outcome back."""
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                result: T = done.value
                return result
            outcome = self._perform(effect)

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            try:
                return self._http.request(
                    effect.method, effect.url, json=effect.json, headers=effect.headers
                )
            except (httpx.TransportError, PinningError) as exc:
                return exc
        if isinstance(effect, Sleep):
            self._sleep(effect.seconds)
            return None
        return run_linker(effect.linker, effect.install_id, effect.timeout)

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        """One state-changing operation at a time, each with its own Retry-After budget."""
        with self._io_lock:
            self._core.session.start_call()
            yield

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
        return self._core.init_state

    def initialize(self, config: LegacyConfig | None = None) -> None:
        """Load the device state (no network). With a `LegacyConfig`, also register the install
        with the app credentials if needed, call the linker and confirm the link."""
        outcome = self._core.begin_initialize()
        try:
            with self._io():
                self._run(self._core.initialize(config))
            outcome = InitState.INITIALIZED
        finally:
            self._core.end_phase(outcome)

    # -- identity ----------------------------------------------------------------------------

    def user_exists(self) -> bool:
        return self._core.user_exists()

    def is_user_linked(self) -> bool:
        return self._core.is_user_linked()

    @property
    def user_id(self) -> str | None:
        return self._core.user_id

    @property
    def configuration(self) -> SdkConfiguration:
        """The SDK configuration the platform sent last (defaults before any)."""
        return self._core.configuration

    def set_user_displaced_listener(self, listener: Listener | None) -> None:
        """Register the app's listener for displacement: another install of this user (a new
        phone, say) took the active role from this one. Called once per displacement, from the
        SDK call whose answer brought the news (`sdk_status()`, `upload_payloads()`, a token
        refresh), with a `UserDisplacedEvent`; an object with `on_user_displaced(event)` or a
        plain callable. `None` removes it. What the listener raises is logged, not raised."""
        self._core.displacement.set_listener(listener)

    def begin_user_creation(self) -> str:
        """Begin a user creation with a code bound to this device (PKCE, S256): the
        `code_challenge` for your app to send to its backend, which sends it with
        `code_challenge_method: "S256"` when it asks the platform for the code. The verifier
        stays in the device state; `create_user()` presents it, so the code works on no other
        device. Call it again to begin again (the earlier challenge is then useless)."""
        with self._io():
            return self._core.begin_user_creation()

    def create_user(self, options: UserCreationOptions) -> UserCreationResult:
        self._core.begin_creation(options)
        try:
            with self._io():
                return self._run(self._core.create_user(options))
        finally:
            self._core.creation_lock.release()

    def link_user(
        self,
        auth_code: str | None = None,
        *,
        linker: Linker | None = None,
        linker_timeout: float = DEFAULT_LINKER_TIMEOUT,
    ) -> UserLinkingResult:
        """Link the device's unlinked user (made with NO_OP_LINKER) to the app's user, with an
        authentication code or a linker."""
        self._core.check_link(auth_code, linker)
        with self._io():
            return self._run(self._core.link_user(auth_code, linker, linker_timeout))

    def request_user_access_token(self) -> Token:
        """The user's access token: the cached one, refreshed first when it expires within
        60 seconds."""
        with self._io():
            return self._run(self._core.request_user_access_token())

    def sdk_status(self) -> SdkStatus:
        """Ask the platform for this install's status (`GET /sdk/v1/status`)."""
        with self._io():
            return self._run(self._core.sdk_status())

    def reset(self) -> ResetResult:
        """Deregister the install (best effort), then delete the device state and the payload
        queue."""
        self._core.begin_reset()
        try:
            with self._io():
                return self._run(self._core.reset())
        finally:
            self._core.end_phase(InitState.NOT_INITIALIZED)

    # -- payloads ----------------------------------------------------------------------------

    def submit_payload(
        self, type: str, body: Mapping[str, Any], timestamp: datetime | None = None
    ) -> str:
        """Queue a payload durably and return its id; `upload_payloads()` sends it."""
        return self._core.submit_payload(type, body, timestamp)

    def pending_payloads(self) -> int:
        """How many payloads wait in the queue."""
        return self._core.pending_payloads()

    def upload_payloads(self, max_batches: int | None = None) -> UploadReport:
        """Send queued payloads in batches; nothing is sent while the install is inactive."""
        with self._io():
            return self._run(self._core.upload_payloads(max_batches))
