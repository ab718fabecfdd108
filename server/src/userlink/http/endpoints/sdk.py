"""SDK routes of an install: token refresh, status, reset."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.errors import MissingCredentials, RateLimited
from userlink.http.credentials import AccessToken, credential_failures, refuse_api_key
from userlink.http.envelope import BODY_ERRORS, error_responses
from userlink.http.examples import examples
from userlink.http.middleware import require_json
from userlink.http.responses import model_response
from userlink.http.routing import JsonRoute
from userlink.http.schemas import examples as ex
from userlink.http.schemas.common import (
    ConfigurationOut,
    RefreshIn,
    RefreshOut,
    StatusOut,
    configuration_out,
    credentials_out,
    displacement_out,
)
from userlink.http.transactions import run, runtime_of
from userlink.installs.errors import InstallDeregistered
from userlink.sdk_credentials import service as sdk_credentials
from userlink.sdk_credentials.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    RefreshTokenExpired,
    RefreshTokenInvalid,
)
from userlink.sdk_credentials.service import SdkCaller
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import install_lifecycle
from userlink.users import service as users


def sdk_configuration(request: Request, is_active: bool) -> ConfigurationOut:
    """The configuration every SDK answer carries, with this platform's retry window."""
    return configuration_out(
        is_active, runtime_of(request).settings.redemption_retry_window_seconds
    )


router = APIRouter(prefix="/sdk/v1", tags=["sdk"], route_class=JsonRoute)

SDK_AUTH_ERRORS = (
    MissingCredentials,
    AccessTokenInvalid,
    AccessTokenExpired,
    InstallDeregistered,
    ApiKeyNotAllowed,
    RateLimited,
)


@router.post(
    "/token",
    response_model=RefreshOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        RefreshTokenInvalid,
        RefreshTokenExpired,
        InstallDeregistered,
        ApiKeyNotAllowed,
        RateLimited,
        *BODY_ERRORS,
    ),
    openapi_extra=examples(request=ex.REFRESH_REQUEST, response=ex.REFRESH_RESPONSE),
    summary="Exchange a refresh token for new credentials (the refresh token rotates)",
)
async def refresh_token(request: Request, body: RefreshIn) -> Response:
    await refuse_api_key(request, body.refresh_token)
    refreshed = await run(
        request,
        lambda work: sdk_credentials.refresh(work, body.refresh_token),
        credential_failures(request),
    )
    return model_response(
        RefreshOut(
            credentials=credentials_out(refreshed.credentials),
            displacement=displacement_out(refreshed.displacement),
        )
    )


@router.get(
    "/status",
    response_model=StatusOut,
    responses=error_responses(*SDK_AUTH_ERRORS),
    openapi_extra=examples(response=ex.STATUS),
    summary="The install's status: linked, active (is_remote_enabled), configuration",
)
async def status(request: Request, token: AccessToken) -> Response:
    def read_status(work: UnitOfWork) -> tuple[SdkCaller, bool]:
        caller = token.authenticate(work)
        return caller, users.is_linked(work, caller.user_id)

    caller, is_linked = await run(request, read_status, token.limit)
    return model_response(
        StatusOut(
            user_id=str(caller.user_id),
            install_id=str(caller.install_id),
            is_linked=is_linked,
            is_remote_enabled=caller.is_active,
            inactive_reason=caller.inactive_reason,
            configuration=sdk_configuration(request, caller.is_active),
            displacement=displacement_out(caller.displacement),
        )
    )


@router.post(
    "/reset",
    status_code=204,
    responses=error_responses(*SDK_AUTH_ERRORS),
    summary="Deregister this install and revoke its credentials",
)
async def reset(request: Request, token: AccessToken) -> Response:
    await run(
        request, lambda work: install_lifecycle.reset(work, token.authenticate(work)), token.limit
    )
    return Response(status_code=204)
