"""The values the SDK takes and returns (immutable dataclasses)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from ._displacement import UserDisplacedEvent
from ._linkers import Linker

__all__ = [
    "DEFAULT_LINKER_TIMEOUT",
    "DeviceInfo",
    "InitState",
    "LegacyConfig",
    "ResetResult",
    "SdkConfiguration",
    "SdkStatus",
    "Token",
    "UploadConfiguration",
    "UploadReport",
    "UserCreationOptions",
    "UserCreationResult",
    "UserInfo",
    "UserLinkingResult",
]

DEFAULT_LINKER_TIMEOUT = 60.0


class InitState(enum.StrEnum):
    NOT_INITIALIZED = "NOT_INITIALIZED"
    INIT_IN_PROGRESS = "INIT_IN_PROGRESS"
    INITIALIZED = "INITIALIZED"
    RESETTING = "RESETTING"


@dataclasses.dataclass(frozen=True)
class Token:
    """The user's access token (`Authorization: Bearer <token_id>` on the SDK routes)."""

    token_id: str = dataclasses.field(repr=False)
    expiry_date: datetime

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expiry_date


@dataclasses.dataclass(frozen=True)
class UserInfo:
    user_id: str
    token: Token


@dataclasses.dataclass(frozen=True)
class UserCreationResult:
    user_info: UserInfo
    restored: bool = False
    """True when the platform restored an existing user (reinstall, new device)."""


@dataclasses.dataclass(frozen=True)
class UserLinkingResult:
    user_info: UserInfo


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """What the SDK tells the platform about the device; the platform classifies it."""

    platform: Literal["android", "ios", "other"] = "other"
    os_version: str | None = None
    model: str | None = None
    screen_diagonal_inches: float | None = None
    ios_idiom: Literal["phone", "pad"] | None = None


@dataclasses.dataclass(frozen=True)
class UserCreationOptions:
    """How to create the user: an authentication code (recommended), or app credentials and a
    linker (legacy). `auth_code` takes precedence over the others."""

    auth_code: str | None = dataclasses.field(default=None, repr=False)
    platform_url: str | None = None
    app_id: str | None = None
    secret: str | None = dataclasses.field(default=None, repr=False)
    linker: Linker | None = None
    linker_timeout: float = DEFAULT_LINKER_TIMEOUT


@dataclasses.dataclass(frozen=True)
class LegacyConfig:
    """The legacy `initialize(config)` form: app credentials and a linker."""

    app_id: str
    secret: str = dataclasses.field(repr=False)
    linker: Linker
    platform_url: str | None = None
    linker_timeout: float = DEFAULT_LINKER_TIMEOUT


@dataclasses.dataclass(frozen=True)
class UploadConfiguration:
    max_batch_size: int = 100
    max_payload_bytes: int = 65536
    min_interval_seconds: float = 30.0


@dataclasses.dataclass(frozen=True)
class SdkConfiguration:
    """The configuration the platform sent last (kept in the device state)."""

    is_remote_enabled: bool = True
    upload: UploadConfiguration = dataclasses.field(default_factory=UploadConfiguration)
    features: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SdkStatus:
    is_remote_enabled: bool
    user_exists: bool
    is_linked: bool
    user_id: str | None
    install_id: str | None
    inactive_reason: str | None
    """None for the active install, else why it is inactive: `PHONE_PREFERRED_OVER_TABLET`,
    `NEWER_INSTALL_ACTIVE` or `APP_DISABLED`."""
    displacement: UserDisplacedEvent | None = None
    """Set while another install of this user holds the active role this install had: which
    install (`new_install_id`), why (`reason`: `newer_install` or `phone_over_tablet`) and since
    when (`displaced_at`). None for the active install, and for an inactive install that never
    held the role (a tablet added while a phone is active) or an old platform."""

    @property
    def inactive_since(self) -> datetime | None:
        """When this install lost the active role (`displacement.displaced_at`); None when it is
        active or the platform does not say (it never held the role)."""
        return self.displacement.displaced_at if self.displacement is not None else None


@dataclasses.dataclass(frozen=True)
class UploadReport:
    sent: int = 0
    """Payloads acknowledged by the server in this call (and deleted from the queue)."""
    processed: int = 0
    not_processed: int = 0
    duplicates: int = 0
    rejected: int = 0
    """Payloads the server refused one by one (too large, invalid); dropped from the queue."""
    remaining: int = 0
    is_remote_enabled: bool = True


@dataclasses.dataclass(frozen=True)
class ResetResult:
    init_state: InitState
    deregistered_on_server: bool
    """False when the server could not be told (unreachable, install already deregistered,
    no install); the local state is deleted in every case."""
    details: str = ""
