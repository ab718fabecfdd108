"""SDK routes of the legacy flow: register an install, confirm its link, link later."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.apps.errors import AppDisabled, InvalidAppCredentials
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
)
from userlink.dependencies import AppCaller, SdkCallerDep, WorkDep
from userlink.errors import InvalidJson, MissingCredentials, RateLimited, UnsupportedMediaType
from userlink.installs.endpoints import SDK_AUTH_ERRORS, configuration_out, credentials_out
from userlink.installs.schemas import device_facts
from userlink.installs.service import Install
from userlink.links import service
from userlink.links.errors import ExternalIdAlreadyLinked, InstallNotLinked, UserAlreadyLinked
from userlink.links.schemas import (
    ConfirmIn,
    InstallStateOut,
    LinkWithCodeIn,
    RegisterInstallIn,
    RegisterInstallOut,
)
from userlink.users.service import User
from userlink.web import error_responses, require_json

sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"])
BODY_ERRORS = (InvalidJson, UnsupportedMediaType)


def state_out(user: User, install: Install) -> InstallStateOut:
    return InstallStateOut(
        user_id=str(user.id),
        install_id=str(install.id),
        is_linked=user.is_linked,
        configuration=configuration_out(install.is_active),
    )


@sdk_router.post(
    "/installs",
    status_code=201,
    response_model=RegisterInstallOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        MissingCredentials,
        InvalidAppCredentials,
        AppDisabled,
        ApiKeyNotAllowed,
        RateLimited,
        *BODY_ERRORS,
    ),
    summary="Legacy init: register an install with the app id and app secret (HTTP Basic)",
)
def register_install(body: RegisterInstallIn, app: AppCaller, work: WorkDep) -> RegisterInstallOut:
    registration = service.register_install(
        work,
        app,
        installation_nonce=body.installation_nonce,
        device=device_facts(body.device, body.app),
    )
    return RegisterInstallOut(
        user_id=str(registration.user.id),
        install_id=str(registration.install.id),
        is_linked=False,
        credentials=credentials_out(registration.credentials),
        configuration=configuration_out(registration.install.is_active),
    )


@sdk_router.post(
    "/link/confirm",
    response_model=InstallStateOut,
    responses=error_responses(*SDK_AUTH_ERRORS, InstallNotLinked, *BODY_ERRORS),
    summary="After the app's linker succeeded: confirm the platform shows the link",
)
def confirm_link(
    caller: SdkCallerDep, work: WorkDep, body: ConfirmIn | None = None
) -> InstallStateOut:
    user, install = service.confirm(work, caller, keep_unlinked=bool(body and body.established))
    return state_out(user, install)


@sdk_router.post(
    "/link",
    response_model=InstallStateOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *SDK_AUTH_ERRORS,
        UserAlreadyLinked,
        ExternalIdAlreadyLinked,
        AuthCodeInvalid,
        AuthCodeExpired,
        AuthCodeAlreadyUsed,
        AuthCodeAppMismatch,
        *BODY_ERRORS,
    ),
    summary="Link this install's unlinked user with an authentication code",
)
def link_with_code(body: LinkWithCodeIn, caller: SdkCallerDep, work: WorkDep) -> InstallStateOut:
    user, install = service.link_with_code(work, caller, body.authentication_code)
    return state_out(user, install)
