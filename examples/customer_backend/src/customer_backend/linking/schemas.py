from __future__ import annotations

from pydantic import BaseModel, Field


class AuthCodeOut(BaseModel):
    app_id: str
    auth_code: str = Field(description="Single use; hand it to the SDK's create_user.")
    platform_url: str
    expires_at: str = Field(description="ISO-8601 UTC, as the platform answered it.")


class OtherDeviceOut(BaseModel):
    install_id: str
    platform: str
    device_class: str = Field(description="phone or tablet")
    model: str | None


class AuthCodePreviewOut(BaseModel):
    outcome: str = Field(description="create (a new account) or restore (an existing one)")
    signed_in_elsewhere: bool = Field(
        description="A code redeemed on this device would take over from another active one."
    )
    will_be_active: bool = Field(
        description="Whether this device would be the account's active one (a tablet stays "
        "inactive beside a phone)."
    )
    other_device: OtherDeviceOut | None = Field(
        description="The device that is active now and would stop being, if any."
    )
    message: str | None = Field(description="What to tell the user, or null.")


class LinkOut(BaseModel):
    id: str = Field(description="The platform user the install belongs to from now on.")


class AppCredentialsOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="Keep it in the app's secure storage, never in its code.")
    platform_url: str
