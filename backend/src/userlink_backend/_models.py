"""What the server-to-server routes answer, as frozen dataclasses (fields as on the wire)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["AuthCode", "Install", "TimelineItem", "TimelinePage", "User"]


@dataclasses.dataclass(frozen=True)
class AuthCode:
    """`POST /users/auth-code`: hand `code` to the app's SDK (`UserCreationOptions(auth_code=…)`)
    before `expires_at`."""

    code: str = dataclasses.field(repr=False)
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class Install:
    id: str
    platform: str
    device_class: str
    """phone or tablet"""
    model: str | None
    created_at: datetime
    status: str
    """live, reset or disabled"""
    is_active: bool
    inactive_reason: str | None


@dataclasses.dataclass(frozen=True)
class User:
    id: str
    external_id: str | None
    created_at: datetime
    linked_at: datetime | None
    installs: tuple[Install, ...]


@dataclasses.dataclass(frozen=True)
class TimelineItem:
    id: str
    install_id: str
    type: str
    timestamp: datetime
    body: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class TimelinePage:
    items: tuple[TimelineItem, ...]
    next_cursor: str | None
