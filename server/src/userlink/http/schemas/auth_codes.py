from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from userlink.http.schemas.common import (
    APP_INFO,
    CONFIGURATION,
    CREDENTIALS,
    DEVICE,
    INSTALL_ID,
    INSTALLATION_NONCE,
    IS_LINKED,
    USER_ID,
    AppInfoIn,
    CodeVerifier,
    ConfigurationOut,
    CredentialsOut,
    DeviceIn,
    ExternalId,
    InstallationNonce,
    Strict,
    UtcDatetime,
)


class AuthCodeRequest(BaseModel):
    # Strict: a float, a boolean or a list is not an id (an integer is, as its decimal string).
    model_config = ConfigDict(strict=True)

    external_id: ExternalId
    code_challenge: Annotated[str, StringConstraints(max_length=256)] | None = Field(
        default=None,
        description=(
            "Optional: the SDK's PKCE challenge (RFC 7636, S256), forwarded by your backend. "
            "The code then redeems only on the device that holds the verifier."
        ),
    )
    code_challenge_method: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        default=None, description='"S256" (the only method accepted) with code_challenge.'
    )


class AuthCodeResponse(BaseModel):
    authentication_code: str = Field(
        description="Single-use code (128 hex characters) for your app to hand to the SDK."
    )
    expires_at: UtcDatetime = Field(description="ISO-8601 UTC, e.g. 2021-02-03T14:32:03.076Z")


class RedeemRequest(Strict):
    authentication_code: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="The code your backend got from `POST /users/auth-code`."
    )
    installation_nonce: InstallationNonce = Field(description=INSTALLATION_NONCE)
    app_id: str | None = Field(
        default=None,
        description="Optional: your app's id; a code of another app is then refused.",
    )
    code_verifier: CodeVerifier | None = Field(
        default=None,
        description="The PKCE verifier of the challenge the code was minted with, if any.",
    )
    device: DeviceIn = Field(description=DEVICE)
    app: AppInfoIn = Field(default_factory=AppInfoIn, description=APP_INFO)


class RedeemResponse(BaseModel):
    user_id: str = Field(description=USER_ID)
    install_id: str = Field(description=INSTALL_ID)
    restored: bool = Field(
        description="True when the code's external id had a user already, now restored here."
    )
    is_linked: bool = Field(description=IS_LINKED)
    credentials: CredentialsOut = Field(description=CREDENTIALS)
    configuration: ConfigurationOut = Field(description=CONFIGURATION)
