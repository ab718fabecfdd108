"""`AsyncUserLink`: `UserLink`'s asyncio twin, one per device (per state directory).

The async shell over the same core (`_core`): it awaits the core's effects (an
`httpx.AsyncClient`, `asyncio.sleep`, the linker) and runs one state-changing call at a time
(an `asyncio.Lock`). Same names, same arguments, same errors, same state directory format: a
state written by one is read by the other. The device state and the payload queue are small
local files, written in place (no thread hop), as `UserLink` writes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from ._core import DeviceCore
from ._displacement import Listener
from ._effects import CallLinker, Effect, Send, Sleep, Steps
from ._errors import PinningError
from ._linkers import Linker, LinkOutcome, UserLinker, run_linker
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
from ._transport import build_async_transport, check_transport_options, parse_pins
from ._version import __version__

__all__ = ["AsyncUserLink"]

T = TypeVar("T")


class AsyncUserLink:
    """The userlink SDK for one device, for asyncio apps: `UserLink`'s calls as coroutines.

    `state_dir` holds the same files as `UserLink`'s (`device_state.json`, `queue.sqlite3`).
    Use one object per state directory, from one event loop.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        device: DeviceInfo | None = None,
        app_version: str | None = None,
        platform_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        pinned_public_key_sha256: str | Sequence[str] | None = None,
        verify: ssl.SSLContext | str | bool = True,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        check_transport_options(transport, pinned_public_key_sha256, verify)
        if transport is None:
            pins = parse_pins(pinned_public_key_sha256) if pinned_public_key_sha256 else None
            transport = build_async_transport(verify=verify, pins=pins)
        self._core = DeviceCore(
            state_dir,
            device=device,
            app_version=app_version,
            platform_url=platform_url,
            timeout=timeout,
            clock=clock,
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": f"userlink-sdk-python/{__version__}"},
        )
        self._sleep = sleep or asyncio.sleep
        self._io_lock = asyncio.Lock()

    # -- the shell ---------------------------------------------------------------------------

    async def _run(self, steps: Steps[T]) -> T:
        """Drive the core: perform each effect it yields, send the outcome back."""
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                result: T = done.value
                return result
            outcome = await self._perform(effect)

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            try:
                return await self._http.request(
                    effect.method, effect.url, json=effect.json, headers=effect.headers
                )
            except (httpx.TransportError, PinningError) as exc:
                return exc
        if isinstance(effect, Sleep):
            await self._sleep(effect.seconds)
            return None
        return await _call_linker(effect)

    @contextlib.asynccontextmanager
    async def _io(self) -> AsyncIterator[None]:
        """One state-changing operation at a time, each with its own Retry-After budget."""
        async with self._io_lock:
            self._core.session.start_call()
            yield

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncUserLink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def init_state(self) -> InitState:
        return self._core.init_state

    async def initialize(self, config: LegacyConfig | None = None) -> None:
        """Load the device state (no network). With a `LegacyConfig`, also register the install
        with the app credentials if needed, call the linker and confirm the link."""
        outcome = self._core.begin_initialize()
        try:
            async with self._io():
                await self._run(self._core.initialize(config))
            outcome = InitState.INITIALIZED
        finally:
            self._core.end_phase(outcome)

    # -- identity (local: plain methods, as on UserLink) --------------------------------------

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

    async def begin_user_creation(self) -> str:
        """Begin a user creation with a code bound to this device (PKCE, S256): the
        `code_challenge` for your app to send to its backend (see `UserLink.begin_user_creation`).
        """
        async with self._io():
            return self._core.begin_user_creation()

    async def create_user(self, options: UserCreationOptions) -> UserCreationResult:
        self._core.begin_creation(options)
        try:
            async with self._io():
                return await self._run(self._core.create_user(options))
        finally:
            self._core.creation_lock.release()

    async def link_user(
        self,
        auth_code: str | None = None,
        *,
        linker: Linker | None = None,
        linker_timeout: float = DEFAULT_LINKER_TIMEOUT,
    ) -> UserLinkingResult:
        """Link the device's unlinked user (made with NO_OP_LINKER) to the app's user, with an
        authentication code or a linker."""
        self._core.check_link(auth_code, linker)
        async with self._io():
            return await self._run(self._core.link_user(auth_code, linker, linker_timeout))

    async def request_user_access_token(self) -> Token:
        """The user's access token: the cached one, refreshed first when it expires within
        60 seconds."""
        async with self._io():
            return await self._run(self._core.request_user_access_token())

    async def sdk_status(self) -> SdkStatus:
        """Ask the platform for this install's status (`GET /sdk/v1/status`)."""
        async with self._io():
            return await self._run(self._core.sdk_status())

    async def reset(self) -> ResetResult:
        """Deregister the install (best effort), then delete the device state and the payload
        queue."""
        self._core.begin_reset()
        try:
            async with self._io():
                return await self._run(self._core.reset())
        finally:
            self._core.end_phase(InitState.NOT_INITIALIZED)

    # -- payloads ----------------------------------------------------------------------------

    def submit_payload(
        self, type: str, body: Mapping[str, Any], timestamp: datetime | None = None
    ) -> str:
        """Queue a payload durably and return its id (local: a plain method, as on
        `UserLink`); `upload_payloads()` sends it."""
        return self._core.submit_payload(type, body, timestamp)

    def pending_payloads(self) -> int:
        """How many payloads wait in the queue."""
        return self._core.pending_payloads()

    async def upload_payloads(self, max_batches: int | None = None) -> UploadReport:
        """Send queued payloads in batches; nothing is sent while the install is inactive."""
        async with self._io():
            return await self._run(self._core.upload_payloads(max_batches))


async def _call_linker(effect: CallLinker) -> LinkOutcome:
    """A coroutine linker (`async def link(install_id) -> bool`, bare or in `UserLinker`) is
    awaited at most `timeout` seconds; any other runs on a worker thread as `UserLink` runs it."""
    linker = effect.linker
    fn = linker.fn if isinstance(linker, UserLinker) else linker
    if not (callable(fn) and inspect.iscoroutinefunction(fn)):
        return await asyncio.to_thread(run_linker, linker, effect.install_id, effect.timeout)
    link = cast(Callable[[str], Awaitable[object]], fn)
    try:
        result = await asyncio.wait_for(link(effect.install_id), effect.timeout)
    except TimeoutError:
        return LinkOutcome(False, f"the linker did not answer within {effect.timeout:g} s")
    except Exception as exc:
        return LinkOutcome(False, f"the linker raised {exc!r}")
    if result is True:
        return LinkOutcome(True, "")
    return LinkOutcome(False, f"the linker returned {result!r}")
