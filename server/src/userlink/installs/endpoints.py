"""SDK routes of an install: token refresh, status, reset."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request, Response

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.dependencies import SdkCallerDep, WorkDep, rate_limit, refuse_api_keys
from userlink.errors import MissingCredentials, RateLimited
from userlink.installs import service
from userlink.installs.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    InstallDeregistered,
    RefreshTokenExpired,
    RefreshTokenInvalid,
)
from userlink.installs.schemas import (
    ConfigurationOut,
    CredentialsOut,
    RefreshIn,
    RefreshOut,
    StatusOut,
)
from userlink.web import client_address, error_responses, require_json

router = APIRouter(prefix="/sdk/v1", tags=["sdk"])

SDK_AUTH_ERRORS = (
    MissingCredentials,
    AccessTokenInvalid,
    AccessTokenExpired,
    InstallDeregistered,
    ApiKeyNotAllowed,
    RateLimited,
)


def credentials_out(credentials: service.Credentials) -> CredentialsOut:
    return CredentialsOut.model_validate(asdict(credentials))


def configuration_out(is_active: bool) -> ConfigurationOut:
    return ConfigurationOut.model_validate(asdict(service.configuration(is_active)))


@router.post(
    "/token",
    response_model=RefreshOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        RefreshTokenInvalid, RefreshTokenExpired, InstallDeregistered, ApiKeyNotAllowed, RateLimited
    ),
    summary="Exchange a refresh token for new credentials (the refresh token rotates)",
)
def refresh_token(request: Request, body: RefreshIn, work: WorkDep) -> RefreshOut:
    refuse_api_keys(request, work, body.refresh_token)
    rate_limit(request, work.settings.rate_limit_credentials, "refresh", client_address(request))
    _install, credentials = service.refresh(work, body.refresh_token)
    return RefreshOut(credentials=credentials_out(credentials))


@router.get(
    "/status",
    response_model=StatusOut,
    responses=error_responses(*SDK_AUTH_ERRORS),
    summary="The install's status: linked, active (is_remote_enabled), configuration",
)
def status(caller: SdkCallerDep, work: WorkDep) -> StatusOut:
    current = service.status(work, caller)
    return StatusOut(
        user_id=str(caller.user_id),
        install_id=str(caller.install_id),
        is_linked=current.is_linked,
        is_remote_enabled=current.is_active,
        inactive_reason=current.inactive_reason,
        configuration=configuration_out(current.is_active),
    )


@router.post(
    "/reset",
    status_code=204,
    responses=error_responses(*SDK_AUTH_ERRORS),
    summary="Deregister this install and revoke its credentials",
)
def reset(caller: SdkCallerDep, work: WorkDep) -> Response:
    service.reset(work, caller)
    return Response(status_code=204)
