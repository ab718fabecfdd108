"""What the server-to-server routes answer, as frozen dataclasses (fields as on the wire)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "Arrival",
    "AuthCode",
    "CodePreview",
    "EventPage",
    "HeldPayload",
    "HeldPayloadPage",
    "IdentityEvent",
    "Install",
    "LinkPreview",
    "MigrationReport",
    "OnRedemption",
    "SdkVersionLine",
    "TimelineItem",
    "TimelinePage",
    "Undo",
    "User",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookMessagePage",
]


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


@dataclasses.dataclass(frozen=True)
class Arrival:
    """What an install would be among the user's installs (a preview's prediction)."""

    is_active: bool
    inactive_reason: str | None
    """PHONE_PREFERRED_OVER_TABLET or NEWER_INSTALL_ACTIVE; None when it would be active"""
    takes_over_from: str | None
    """the install that is active now and would stop being, if any"""


@dataclasses.dataclass(frozen=True)
class OnRedemption:
    phone: Arrival
    tablet: Arrival


@dataclasses.dataclass(frozen=True)
class CodePreview:
    """`POST /users/auth-code/preview`: what a code for the external id would do, now."""

    outcome: str
    """create or restore"""
    user_id: str | None
    installs: tuple[Install, ...]
    active_install_id: str | None
    on_redemption: OnRedemption

    @property
    def takes_over_from_another_phone(self) -> bool:
        """A phone redeeming the code would take the active role from another install: the
        moment to tell your user "you are signed in on another phone"."""
        return self.on_redemption.phone.takes_over_from is not None


@dataclasses.dataclass(frozen=True)
class LinkPreview:
    """`POST /v2/users/{install_id}/link/preview`: what the link would do, now."""

    outcome: str
    """already_linked, link or join"""
    user_id: str
    installs: tuple[Install, ...]
    active_install_id: str | None
    install: Arrival


@dataclasses.dataclass(frozen=True)
class IdentityEvent:
    """One entry of the user's identity ledger (`GET /v2/users/{id}/events`)."""

    id: str
    type: str
    occurred_at: datetime
    user_id: str | None
    install_id: str | None
    actor: str | None
    details: Mapping[str, Any]
    undoes_event_id: str | None


@dataclasses.dataclass(frozen=True)
class EventPage:
    items: tuple[IdentityEvent, ...]
    next_cursor: str | None


@dataclasses.dataclass(frozen=True)
class Undo:
    """`POST /v2/users/{user_id}/events/{event_id}/undo`."""

    undo_event_id: str
    undone_event_id: str
    undone_type: str
    user_id: str
    install_id: str | None
    install_user_id: str | None
    """the user the install belongs to now; None when a link in place was undone"""
    replayed: bool


@dataclasses.dataclass(frozen=True)
class HeldPayload:
    id: str
    install_id: str
    type: str
    timestamp: datetime
    received_at: datetime
    body: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class HeldPayloadPage:
    items: tuple[HeldPayload, ...]
    next_cursor: str | None


@dataclasses.dataclass(frozen=True)
class WebhookEndpoint:
    """A webhook endpoint of the app. `secret` (`whsec_…`) only in the answers of creation and
    rotation, where it is shown once; None elsewhere."""

    id: str
    url: str
    description: str
    event_types: tuple[str, ...] | None
    """None: every event type"""
    enabled: bool
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class WebhookMessage:
    id: str
    """the `webhook-id` header of every attempt"""
    event_type: str
    status: str
    """pending, delivered or dead"""
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    payload: Mapping[str, Any]
    cursor: int


@dataclasses.dataclass(frozen=True)
class WebhookMessagePage:
    messages: tuple[WebhookMessage, ...]
    next_before: int | None


@dataclasses.dataclass(frozen=True)
class SdkVersionLine:
    sdk_version: str | None
    installs: int
    seen_recently: int
    last_seen: datetime


@dataclasses.dataclass(frozen=True)
class MigrationReport:
    """`GET /v2/reports/migration` (docs/api.md explains each figure)."""

    generated_at: datetime
    window_days: int
    users: int
    users_by_link: Mapping[str, int]
    live_installs_by_flow: Mapping[str, int]
    legacy_installs_by_sdk_version: tuple[SdkVersionLine, ...]
    legacy_registrations_recent: int
    active_users: int
    active_users_on_code_flow: int
    share_on_code_flow: float | None
    legacy_registration_enabled: bool
