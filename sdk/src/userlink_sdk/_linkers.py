"""Linkers: the app's code that links an install id to its own user (legacy flow).

Two styles, as in the mobile SDK:

* `UserLinker(fn)` (or a bare callable): `fn(install_id) -> bool`, True once the app's backend
  has linked the install.
* `UserLinkerAsync(fn)`: `fn(install_id, callback)`; the app calls `callback.link_success()` or
  `callback.link_failed()`, from any thread, whenever it knows.

Both run on a worker thread; the SDK waits at most `linker_timeout` seconds for the answer.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Final, TypeAlias

__all__ = [
    "NO_OP_LINKER",
    "LinkOutcome",
    "Linker",
    "LinkerCallback",
    "NoOpLinker",
    "UserLinker",
    "UserLinkerAsync",
    "run_linker",
]

logger = logging.getLogger("userlink_sdk")


class LinkerCallback:
    """Handed to a `UserLinkerAsync`; the first answer wins, later ones are ignored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered = threading.Event()
        self._success = False
        self._details = ""

    def link_success(self) -> None:
        self._answer(True, "")

    def link_failed(self) -> None:
        self._answer(False, "the linker called link_failed()")

    def _answer(self, success: bool, details: str) -> None:
        with self._lock:
            if self._answered.is_set():
                return
            self._success = success
            self._details = details
            self._answered.set()

    def _wait(self, timeout: float) -> LinkOutcome:
        if not self._answered.wait(timeout):
            self._answer(False, f"the linker did not answer within {timeout:g} s")
        with self._lock:
            return LinkOutcome(success=self._success, details=self._details)


class UserLinker:
    """A linker that returns whether the link succeeded: `fn(install_id) -> bool`."""

    def __init__(self, fn: Callable[[str], bool]) -> None:
        self.fn = fn

    def __repr__(self) -> str:
        return f"UserLinker({self.fn!r})"


class UserLinkerAsync:
    """A linker that answers through a callback: `fn(install_id, callback) -> None`."""

    def __init__(self, fn: Callable[[str, LinkerCallback], None]) -> None:
        self.fn = fn

    def __repr__(self) -> str:
        return f"UserLinkerAsync({self.fn!r})"


class NoOpLinker:
    """Creates an unlinked user; link it later with `UserLink.link_user()`."""

    def __repr__(self) -> str:
        return "NO_OP_LINKER"


NO_OP_LINKER: Final = NoOpLinker()

Linker: TypeAlias = (
    UserLinker
    | UserLinkerAsync
    | NoOpLinker
    | Callable[[str], bool]
    # AsyncUserLink only: `async def link(install_id) -> bool`, awaited on the event loop.
    | Callable[[str], Awaitable[bool]]
)


@dataclasses.dataclass(frozen=True)
class LinkOutcome:
    success: bool
    details: str


def run_linker(linker: Linker, install_id: str, timeout: float) -> LinkOutcome:
    """Call `linker` with `install_id` on a worker thread and wait for its answer."""
    if isinstance(linker, NoOpLinker):
        raise TypeError("NO_OP_LINKER is not called")
    callback = LinkerCallback()

    def call() -> None:
        try:
            if isinstance(linker, UserLinkerAsync):
                linker.fn(install_id, callback)
                return
            fn = linker.fn if isinstance(linker, UserLinker) else linker
            result = fn(install_id)
        except Exception as exc:
            logger.warning("userlink linker raised %r", exc)
            callback._answer(False, f"the linker raised {exc!r}")
            return
        if result is True:
            callback._answer(True, "")
        else:
            callback._answer(False, f"the linker returned {result!r}")

    worker = threading.Thread(target=call, name="userlink-linker", daemon=True)
    worker.start()
    return callback._wait(timeout)
