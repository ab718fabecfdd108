from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.apps.errors import AppDisabled
from userlink.auth_codes import service
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
    InvalidExternalId,
)
from userlink.auth_codes.schemas import (
    AuthCodeRequest,
    AuthCodeResponse,
    RedeemRequest,
    RedeemResponse,
)
from userlink.dependencies import API_KEY_ERRORS, LinkCaller, WorkDep, rate_limit
from userlink.errors import InvalidJson, RateLimited, UnsupportedMediaType
from userlink.installs.endpoints import configuration_out, credentials_out
from userlink.installs.errors import InstallDeregistered
from userlink.installs.schemas import device_facts
from userlink.kit.ids import parse_id
from userlink.web import client_address, error_responses, require_json

BODY_ERRORS = (InvalidJson, UnsupportedMediaType)

router = APIRouter(tags=["server-to-server"])
sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"])


@router.post(
    "/users/auth-code",
    response_model=AuthCodeResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(*API_KEY_ERRORS, *BODY_ERRORS, InvalidExternalId),
    summary="Get a short-lived, single-use authentication code for one of your users",
)
def issue_auth_code(body: AuthCodeRequest, caller: LinkCaller, work: WorkDep) -> AuthCodeResponse:
    issued = service.issue(work, caller, body.external_id)
    return AuthCodeResponse(authentication_code=issued.code, expires_at=issued.expires_at)


@sdk_router.post(
    "/users",
    response_model=RedeemResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        AuthCodeInvalid,
        AuthCodeExpired,
        AuthCodeAlreadyUsed,
        AuthCodeAppMismatch,
        AppDisabled,
        InstallDeregistered,
        ApiKeyNotAllowed,
        RateLimited,
        *BODY_ERRORS,
    ),
    summary="Redeem an authentication code: create the user, or restore it on this install",
)
def redeem_auth_code(request: Request, body: RedeemRequest, work: WorkDep) -> RedeemResponse:
    rate_limit(request, work.settings.rate_limit_redemption, "redeem", client_address(request))
    app_id = parse_id(body.app_id) if body.app_id is not None else None
    if body.app_id is not None and app_id is None:
        raise AuthCodeAppMismatch()
    redemption = service.redeem(
        work,
        code=body.authentication_code,
        installation_nonce=body.installation_nonce,
        app_id=app_id,
        device=device_facts(body.device, body.app),
    )
    return RedeemResponse(
        user_id=str(redemption.user_id),
        install_id=str(redemption.install.id),
        restored=redemption.restored,
        is_linked=True,
        credentials=credentials_out(redemption.credentials),
        configuration=configuration_out(redemption.is_remote_enabled),
    )
