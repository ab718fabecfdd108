from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from userlink.http.schemas.common import ExternalId, UtcDatetime


class InstallOut(BaseModel):
    id: str
    platform: str
    device_class: str = Field(description="phone | tablet")
    model: str | None
    created_at: UtcDatetime
    status: str = Field(description="live | reset | disabled")
    is_active: bool
    inactive_reason: str | None = Field(
        description="PHONE_PREFERRED_OVER_TABLET | NEWER_INSTALL_ACTIVE | INSTALL_RESET | "
        "INSTALL_DISABLED, or null for the active install"
    )


class UserOut(BaseModel):
    id: str
    external_id: str | None
    created_at: UtcDatetime
    linked_at: UtcDatetime | None
    installs: list[InstallOut]


class LinkRequest(BaseModel):
    # Strict: a float, a boolean or a list is not an id (an integer is, as its decimal string).
    model_config = ConfigDict(strict=True)

    external_id: ExternalId


class LinkResponse(BaseModel):
    id: str = Field(description="The platform user id the install belongs to from now on.")
