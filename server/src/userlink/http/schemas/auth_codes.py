from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from userlink.http.schemas.common import (
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
    authentication_code: str
    expires_at: UtcDatetime = Field(description="ISO-8601 UTC, e.g. 2021-02-03T14:32:03.076Z")


class RedeemRequest(Strict):
    authentication_code: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    installation_nonce: InstallationNonce
    app_id: str | None = None
    code_verifier: CodeVerifier | None = Field(
        default=None,
        description="The PKCE verifier of the challenge the code was minted with, if any.",
    )
    device: DeviceIn
    app: AppInfoIn = Field(default_factory=AppInfoIn)


class RedeemResponse(BaseModel):
    user_id: str
    install_id: str
    restored: bool
    is_linked: bool
    credentials: CredentialsOut
    configuration: ConfigurationOut
