from __future__ import annotations

from pydantic import BaseModel, Field


class AuthCodeOut(BaseModel):
    app_id: str
    auth_code: str = Field(description="Single use; hand it to the SDK's create_user.")
    platform_url: str
    expires_at: str = Field(description="ISO-8601 UTC, as the platform answered it.")


class LinkOut(BaseModel):
    id: str = Field(description="The platform user the install belongs to from now on.")


class AppCredentialsOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="Keep it in the app's secure storage, never in its code.")
    platform_url: str
