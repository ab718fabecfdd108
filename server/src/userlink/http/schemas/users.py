from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from userlink.http.schemas.common import ExternalId, UtcDatetime


class InstallOut(BaseModel):
    id: str = Field(description="The install id (a UUID).")
    platform: str = Field(description="android | ios | other")
    device_class: str = Field(description="phone | tablet")
    model: str | None = Field(description="The device model the SDK reported, if any.")
    created_at: UtcDatetime = Field(description="When the install was registered (ISO-8601 UTC).")
    status: str = Field(description="live | reset | disabled")
    is_active: bool = Field(description="Whether it is the user's active install.")
    inactive_reason: str | None = Field(
        description="PHONE_PREFERRED_OVER_TABLET | NEWER_INSTALL_ACTIVE | INSTALL_RESET | "
        "INSTALL_DISABLED, or null for the active install"
    )


class UserOut(BaseModel):
    id: str = Field(description="The platform user id (a UUID).")
    external_id: str | None = Field(
        description="Your id of the user, or null while an install-id user is not linked yet."
    )
    created_at: UtcDatetime = Field(description="When the user was created (ISO-8601 UTC).")
    linked_at: UtcDatetime | None = Field(
        description="When the user got its external id (ISO-8601 UTC), or null."
    )
    installs: list[InstallOut] = Field(description="The user's installs, live and past.")


class LinkRequest(BaseModel):
    # Strict: a float, a boolean or a list is not an id (an integer is, as its decimal string).
    model_config = ConfigDict(strict=True)

    external_id: ExternalId


class LinkResponse(BaseModel):
    id: str = Field(description="The platform user id the install belongs to from now on.")


class EventOut(BaseModel):
    id: str = Field(description="The event's id in the ledger (what an undo names).")
    type: str = Field(description="The event type, e.g. `user.restored` (docs/api.md lists them).")
    occurred_at: UtcDatetime = Field(description="When it happened (ISO-8601 UTC).")
    user_id: str | None = Field(description="The user concerned, if any.")
    install_id: str | None = Field(description="The install concerned, if any.")
    actor: str | None = Field(
        description="Who caused it: `api_key:<id>`, `install:<install id>`, `account:<id>`, "
        "`operator`, or null."
    )
    details: dict[str, Any] = Field(
        description="What the event changed (previous and new user of an install, previous and "
        "new active install, the key concerned): see docs/api.md."
    )
    undoes_event_id: str | None = Field(
        default=None, description="For `event.undone`: the event this undo reversed."
    )


class UndoOut(BaseModel):
    undo_event_id: str = Field(description="The `event.undone` event the undo recorded.")
    undone_event_id: str = Field(description="The event that was undone.")
    undone_type: str = Field(description="`user.restored` or `user.linked`.")
    user_id: str = Field(description="The user whose event was undone.")
    install_id: str | None = Field(description="The install the undone event moved, if any.")
    install_user_id: str | None = Field(
        description="The user the install belongs to now (its previous user, or a new "
        "provisional one); null when the undo unlinked the user in place."
    )
    replayed: bool = Field(
        description="True when this answers a retry (same `Idempotency-Key`) of an undo done "
        "before."
    )


class EventsOut(BaseModel):
    items: list[EventOut] = Field(description="One page of events, newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null at the end."
    )
