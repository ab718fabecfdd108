from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from userlink.http.schemas.common import (
    AppInfoIn,
    CodeVerifier,
    ConfigurationOut,
    CredentialsOut,
    DeviceIn,
    InstallationNonce,
    Strict,
)


class RegisterInstallIn(Strict):
    installation_nonce: InstallationNonce
    device: DeviceIn
    app: AppInfoIn = Field(default_factory=AppInfoIn)


class RegisterInstallOut(BaseModel):
    user_id: str
    install_id: str
    is_linked: bool
    credentials: CredentialsOut
    configuration: ConfigurationOut


class ConfirmIn(Strict):
    established: bool = Field(
        default=False,
        description="NO-OP linker: keep the user unlinked and finish initialisation.",
    )


class LinkWithCodeIn(Strict):
    authentication_code: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    code_verifier: CodeVerifier | None = None


class InstallStateOut(BaseModel):
    user_id: str
    install_id: str
    is_linked: bool
    configuration: ConfigurationOut
