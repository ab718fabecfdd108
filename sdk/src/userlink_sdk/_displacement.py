"""Displacement: another install of this user took the active role from this one.

The platform says so on the next call of the displaced install (the optional `displacement` field
of the status, upload and token answers: docs/sdk-protocol.md). `DisplacementWatch` sees every
answer (`SdkApi`'s observer), and calls the app's listener once per displacement: the last one
told is kept in a small file of the state directory (`displacement.json`), saved before the
listener runs, so a restart, a retried call or the next upload does not tell it again. A
displacement seen while no listener is registered is not marked as told: the listener hears it on
a call after it is registered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

__all__ = [
    "DISPLACEMENT_FILE_NAME",
    "DisplacementWatch",
    "UserDisplacedEvent",
    "UserDisplacedListener",
    "read_displacement",
]

logger = logging.getLogger("userlink_sdk")

DISPLACEMENT_FILE_NAME = "displacement.json"


@dataclasses.dataclass(frozen=True)
class UserDisplacedEvent:
    """This install lost the active role to another install of the same user: its payloads are
    held by the platform from now on (the customer's backend may merge them), not processed."""

    install_id: str | None
    """This install (the displaced one)."""
    new_install_id: str
    """The user's install that is active now."""
    reason: str
    """`newer_install` (a newer install of the same class) or `phone_over_tablet`."""
    displaced_at: datetime


class UserDisplacedListener(Protocol):
    """A listener object in the mobile SDKs' style (a plain callable works as well)."""

    def on_user_displaced(self, event: UserDisplacedEvent) -> None: ...


Listener = Callable[[UserDisplacedEvent], None] | UserDisplacedListener


def read_displacement(raw: object, install_id: str | None) -> UserDisplacedEvent | None:
    """The event from the answer's `displacement` field; None when absent or unreadable (an
    optional field never fails a call)."""
    if not isinstance(raw, Mapping):
        return None
    new_install_id, reason, moment = (
        raw.get("new_install_id"),
        raw.get("reason"),
        raw.get("displaced_at"),
    )
    if not all(isinstance(value, str) for value in (new_install_id, reason, moment)):
        return None
    try:
        displaced_at = datetime.fromisoformat(str(moment))
    except ValueError:
        return None
    return UserDisplacedEvent(
        install_id=install_id,
        new_install_id=str(new_install_id),
        reason=str(reason),
        displaced_at=displaced_at if displaced_at.tzinfo else displaced_at.replace(tzinfo=UTC),
    )


def _key(event: UserDisplacedEvent) -> str:
    return f"{event.install_id}|{event.new_install_id}|{event.displaced_at.isoformat()}"


class DisplacementWatch:
    def __init__(self, state_dir: Path, *, install_id: Callable[[], str | None]) -> None:
        self._path = state_dir / DISPLACEMENT_FILE_NAME
        self._install_id = install_id
        self._listener: Listener | None = None
        self._lock = threading.Lock()

    def set_listener(self, listener: Listener | None) -> None:
        self._listener = listener

    def observe(self, answer: Mapping[str, Any]) -> None:
        """Every successful answer of the platform passes here."""
        listener = self._listener
        if listener is None or "displacement" not in answer:
            return
        event = read_displacement(answer["displacement"], self._install_id())
        if event is None:
            return
        with self._lock:
            key = _key(event)
            if self._told() == key:
                return
            try:
                self._save(key)
            except OSError:
                # Told again on a later call rather than never.
                logger.exception("userlink: cannot save the displacement; it may be told again")
        method = getattr(listener, "on_user_displaced", None)
        call = cast(Callable[[UserDisplacedEvent], None], method if callable(method) else listener)
        try:
            call(event)
        except Exception:  # the app's code must not fail the SDK call that carried the news
            logger.exception("userlink: the user-displaced listener raised")

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()

    def _told(self) -> str | None:
        try:
            told = json.loads(self._path.read_text(encoding="utf-8")).get("told")
        except (OSError, ValueError, AttributeError):
            return None
        return told if isinstance(told, str) else None

    def _save(self, key: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=".displacement-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"told": key}, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
