"""The device state: one JSON file in the state directory, written atomically.

The file holds the SDK's credentials (access and refresh token), so it is created with mode 0600
in a directory created with mode 0700. A write goes to a temporary file in the same directory,
is fsync'ed, then renamed over the old file (`os.replace`), so a crash leaves either the old or
the new state, never a torn one. A file the SDK cannot read (corrupt, or written by another
state format version) raises `DeviceStateError` and is never overwritten behind the app's back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._errors import DeviceStateError

__all__ = [
    "STATE_FILE_NAME",
    "STATE_VERSION",
    "DeviceState",
    "StateStore",
    "credential_fingerprint",
]

STATE_FILE_NAME = "device_state.json"
STATE_VERSION = 1


def credential_fingerprint(app_id: str, secret: str) -> str:
    """What the state keeps of legacy app credentials: SHA-256 of `app_id:secret`, in hex."""
    return hashlib.sha256(f"{app_id}:{secret}".encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class DeviceState:
    platform_url: str | None = None
    app_id: str | None = None
    credential_fingerprint: str | None = None
    user_id: str | None = None
    install_id: str | None = None
    is_linked: bool = False
    user_established: bool = False
    """False while a legacy registration waits for its linker: no user exists yet."""
    access_token: str | None = dataclasses.field(default=None, repr=False)
    access_token_expires_at: datetime | None = None
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    refresh_token_expires_at: datetime | None = None
    installation_nonce: str | None = dataclasses.field(default=None, repr=False)
    pkce_verifier: str | None = dataclasses.field(default=None, repr=False)
    """The PKCE verifier of the user creation begun (`begin_user_creation()`), until it ends."""
    configuration: Mapping[str, Any] | None = None
    inactive_reason: str | None = None

    @property
    def user_exists(self) -> bool:
        return self.user_id is not None and self.user_established

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": STATE_VERSION}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat()
            elif isinstance(value, Mapping):
                value = dict(value)
            data[field.name] = value
        return data

    @classmethod
    def from_json(cls, path: Path, data: object) -> DeviceState:
        if not isinstance(data, dict):
            raise DeviceStateError(path, "corrupt: the file does not hold a JSON object")
        version = data.get("version")
        if version != STATE_VERSION:
            raise DeviceStateError(
                path,
                f"written by state format version {version!r}; this SDK reads version "
                f"{STATE_VERSION} (reset() deletes it)",
            )
        unknown = sorted(set(data) - set(_FIELD_KINDS) - {"version"})
        if unknown:
            raise DeviceStateError(path, f"corrupt: unknown keys {unknown}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "version":
                continue
            values[name] = _check_field(path, name, value)
        return cls(**values)


_FIELD_KINDS: dict[str, type] = {
    "platform_url": str,
    "app_id": str,
    "credential_fingerprint": str,
    "user_id": str,
    "install_id": str,
    "is_linked": bool,
    "user_established": bool,
    "access_token": str,
    "access_token_expires_at": datetime,
    "refresh_token": str,
    "refresh_token_expires_at": datetime,
    "installation_nonce": str,
    "pkce_verifier": str,
    "configuration": dict,
    "inactive_reason": str,
}


def _check_field(path: Path, name: str, value: object) -> object:
    kind = _FIELD_KINDS[name]
    if value is None and kind is not bool:
        return None
    if kind is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    elif isinstance(value, kind):
        return value
    raise DeviceStateError(path, f"corrupt: {name!r} holds {value!r}")


class StateStore:
    """Reads and writes the device state file in `state_dir`."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / STATE_FILE_NAME

    def ensure_dir(self) -> None:
        """Create the state directory with mode 0700 (an existing one is left as it is)."""
        if not self.state_dir.is_dir():
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.state_dir, 0o700)

    def load(self) -> DeviceState:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return DeviceState()
        except OSError as exc:
            raise DeviceStateError(self.path, f"cannot be read: {exc}") from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise DeviceStateError(self.path, f"corrupt: not JSON ({exc})") from exc
        return DeviceState.from_json(self.path, data)

    def save(self, state: DeviceState) -> None:
        self.ensure_dir()
        payload = json.dumps(state.to_json(), indent=2, sort_keys=True).encode()
        fd, temp_name = tempfile.mkstemp(
            dir=self.state_dir, prefix=f".{STATE_FILE_NAME}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as temp:
                os.fchmod(temp.fileno(), 0o600)
                temp.write(payload)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _fsync_dir(self.state_dir)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        for leftover in self.state_dir.glob(f".{STATE_FILE_NAME}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        if self.state_dir.is_dir():
            _fsync_dir(self.state_dir)


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
