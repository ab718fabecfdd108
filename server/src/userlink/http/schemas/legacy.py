from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

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
    InstallationNonce,
    Strict,
)


class RegisterInstallIn(Strict):
    installation_nonce: InstallationNonce = Field(description=INSTALLATION_NONCE)
    device: DeviceIn = Field(description=DEVICE)
    app: AppInfoIn = Field(default_factory=AppInfoIn, description=APP_INFO)


class RegisterInstallOut(BaseModel):
    user_id: str = Field(
        description="The install's own user, unlinked until your backend links it."
    )
    install_id: str = Field(
        description="This install's id: the app's linker sends it to your backend to link."
    )
    is_linked: bool = Field(description=IS_LINKED)
    credentials: CredentialsOut = Field(description=CREDENTIALS)
    configuration: ConfigurationOut = Field(description=CONFIGURATION)


class ConfirmIn(Strict):
    established: bool = Field(
        default=False,
        description="NO-OP linker: keep the user unlinked and finish initialisation.",
    )


class LinkWithCodeIn(Strict):
    authentication_code: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="A code your backend got from `POST /users/auth-code` for this user."
    )
    code_verifier: CodeVerifier | None = Field(
        default=None,
        description="The PKCE verifier of the challenge the code was minted with, if any.",
    )


class InstallStateOut(BaseModel):
    user_id: str = Field(description=USER_ID)
    install_id: str = Field(description=INSTALL_ID)
    is_linked: bool = Field(description=IS_LINKED)
    configuration: ConfigurationOut = Field(description=CONFIGURATION)
