"""This device's state in memory, in step with its file (`_state`).

Every change goes through `commit`, which saves before it makes the new state current, so
memory never runs ahead of the file (rotated credentials excepted, see `commit`).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
from typing import Any

import httpx

from ._api import Identity, ProtocolError, StatusAnswer
from ._models import Token
from ._state import DeviceState, StateStore

__all__ = ["Device", "check_url", "token_of"]

logger = logging.getLogger("userlink_sdk")


def check_url(url: str) -> str:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"platform_url must be an http(s) URL, not {url!r}")
    return url.rstrip("/")


def token_of(state: DeviceState) -> Token:
    assert state.access_token is not None
    assert state.access_token_expires_at is not None
    return Token(token_id=state.access_token, expiry_date=state.access_token_expires_at)


class Device:
    def __init__(self, store: StateStore, *, platform_url: str | None) -> None:
        self._store = store
        self._platform_url = check_url(platform_url) if platform_url is not None else None
        self._state: DeviceState | None = None
        self._unsaved = False  # the in-memory state holds changes a failed write did not save
        self._lock = threading.Lock()  # guards loading and swapping the in-memory state

    def current(self) -> DeviceState:
        with self._lock:
            if self._state is None:
                self._state = self._store.load()
            return self._state

    def commit(self, state: DeviceState, *, keep_on_write_failure: bool = False) -> DeviceState:
        """Save `state` and make it current. With `keep_on_write_failure`, a failed write still
        makes it current (the next write saves it): used for rotated credentials, which the
        server has already made the only valid ones."""
        with self._lock:
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

    def forget(self) -> None:
        """Delete the state file; the device is blank again."""
        with self._lock:
            self._store.delete()
            self._state = DeviceState()
            self._unsaved = False

    def base_url(self, state: DeviceState, override: str | None = None) -> str:
        url = override or self._platform_url or state.platform_url
        if url is None:
            raise ValueError(
                "no platform_url: pass it to UserLink(...), UserCreationOptions or LegacyConfig"
            )
        return check_url(url)

    def ensure_nonce(self) -> str:
        """The installation nonce, generated and persisted before its first use."""
        state = self.current()
        if state.installation_nonce is None:
            state = self.commit(
                dataclasses.replace(state, installation_nonce=secrets.token_urlsafe(32))
            )
        assert state.installation_nonce is not None
        return state.installation_nonce

    def adopt(
        self,
        identity: Identity,
        *,
        base: str,
        app_id: str | None,
        fingerprint: str | None,
        established: bool,
    ) -> DeviceState:
        """Make a new install, with its credentials, this device's."""
        credentials = identity.credentials
        if credentials is None:  # pragma: no cover - parsed with credentials
            raise ProtocolError("the answer has no credentials")
        return self.commit(
            dataclasses.replace(
                self.current(),
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

    def remember_remote_enabled(self, enabled: bool, status: StatusAnswer | None) -> None:
        state = self.current()
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
        self.commit(dataclasses.replace(state, **changes))
