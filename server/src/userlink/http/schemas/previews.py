from __future__ import annotations

from pydantic import BaseModel, Field

from userlink.http.schemas.users import InstallOut

ACTIVE_INSTALL_ID = "The user's active install now, or null when it has none."


class ArrivalOut(BaseModel):
    is_active: bool = Field(description="Whether the install would be the user's active one.")
    inactive_reason: str | None = Field(
        description="PHONE_PREFERRED_OVER_TABLET | NEWER_INSTALL_ACTIVE, or null when active"
    )
    takes_over_from: str | None = Field(
        description="The install that is active now and would stop being, if any."
    )


class OnRedemptionOut(BaseModel):
    phone: ArrivalOut = Field(description="If a phone redeemed the code now.")
    tablet: ArrivalOut = Field(description="If a tablet redeemed the code now.")


class CodePreviewOut(BaseModel):
    outcome: str = Field(description="create | restore", examples=["restore"])
    user_id: str | None = Field(description="The user a restore brings back; null for create.")
    installs: list[InstallOut] = Field(description="The user's live installs, as they are now.")
    active_install_id: str | None = Field(description=ACTIVE_INSTALL_ID)
    on_redemption: OnRedemptionOut = Field(
        description="What redeeming the code on a phone or on a tablet would do now."
    )


class LinkPreviewOut(BaseModel):
    outcome: str = Field(
        description="already_linked | link (the install's own user gets the external id) | "
        "join (the install joins the external id's existing user; its own user goes)",
        examples=["join"],
    )
    user_id: str = Field(description="The user the install would belong to.")
    installs: list[InstallOut] = Field(description="That user's live installs, as they are now.")
    active_install_id: str | None = Field(description=ACTIVE_INSTALL_ID)
    install: ArrivalOut = Field(description="What the linked install would be among them.")
