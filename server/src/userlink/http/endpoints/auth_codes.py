"""`POST /users/auth-code` (server-to-server) and its redemption by the SDK."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.apps.errors import AppDisabled
from userlink.auth_codes import service as auth_codes
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeVerifierMismatch,
    CodeChallengeMethodUnsupported,
    CodeChallengeNotEnabled,
    CodeChallengeRequired,
    ExternalIdBlocked,
    InvalidCodeChallenge,
    InvalidExternalId,
)
from userlink.errors import RateLimited
from userlink.http import idempotency
from userlink.http.credentials import API_KEY_ERRORS, LinkKey, code_attempts
from userlink.http.endpoints.previews import code_preview_out
from userlink.http.endpoints.sdk import sdk_configuration
from userlink.http.envelope import BODY_ERRORS, error_responses
from userlink.http.examples import examples
from userlink.http.middleware import require_json
from userlink.http.responses import model_response
from userlink.http.routing import JsonRoute
from userlink.http.schemas import examples as ex
from userlink.http.schemas.auth_codes import (
    AuthCodeRequest,
    AuthCodeResponse,
    RedeemRequest,
    RedeemResponse,
)
from userlink.http.schemas.common import credentials_out, device_facts
from userlink.http.schemas.previews import CodePreviewOut
from userlink.http.transactions import run
from userlink.installs.errors import InstallDeregistered
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import previews, redemption
from userlink.users.errors import ExternalIdVelocityExceeded

router = APIRouter(tags=["server-to-server"], route_class=JsonRoute)
sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"], route_class=JsonRoute)


@router.post(
    "/users/auth-code",
    response_model=AuthCodeResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS,
        *BODY_ERRORS,
        *idempotency.ERRORS,
        InvalidExternalId,
        ExternalIdBlocked,
        InvalidCodeChallenge,
        CodeChallengeMethodUnsupported,
        CodeChallengeRequired,
        CodeChallengeNotEnabled,
    ),
    openapi_extra=examples(
        request=ex.AUTH_CODE_REQUEST, response=ex.AUTH_CODE_RESPONSE, extra=idempotency.OPENAPI
    ),
    summary="Get a short-lived, single-use authentication code for one of your users",
)
async def issue_auth_code(request: Request, body: AuthCodeRequest, key: LinkKey) -> Response:
    once = idempotency.once(request, body)

    def issue(work: UnitOfWork) -> Response:
        caller = key.authenticate(work)

        def execute() -> Response:
            issued = auth_codes.issue(
                work,
                caller,
                body.external_id,
                code_challenge=body.code_challenge,
                code_challenge_method=body.code_challenge_method,
            )
            return model_response(
                AuthCodeResponse(authentication_code=issued.code, expires_at=issued.expires_at)
            )

        return once(work, caller.app_id, execute)

    return await run(request, issue, key.limit)


@router.post(
    "/users/auth-code/preview",
    response_model=CodePreviewOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS,
        *BODY_ERRORS,
        InvalidExternalId,
        ExternalIdBlocked,
        InvalidCodeChallenge,
        CodeChallengeMethodUnsupported,
        CodeChallengeRequired,
        CodeChallengeNotEnabled,
    ),
    openapi_extra=examples(request=ex.AUTH_CODE_REQUEST, response=ex.CODE_PREVIEW),
    summary="What a code for this external id would do, without minting one",
    description="Same body and refusals as `POST /users/auth-code`; writes nothing and is not "
    "counted against any limit. Whether redeeming would create or restore a user, the user's "
    "installs, and what a phone or a tablet redeeming it now would do.",
)
async def preview_auth_code(request: Request, body: AuthCodeRequest, key: LinkKey) -> Response:
    preview = await run(
        request,
        lambda work: previews.preview_code(
            work,
            key.authenticate(work),
            body.external_id,
            code_challenge=body.code_challenge,
            code_challenge_method=body.code_challenge_method,
        ),
        key.limit,
    )
    return model_response(code_preview_out(preview))


@sdk_router.post(
    "/users",
    response_model=RedeemResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        AuthCodeInvalid,
        AuthCodeExpired,
        AuthCodeAlreadyUsed,
        AuthCodeAppMismatch,
        AuthCodeVerifierMismatch,
        AppDisabled,
        InstallDeregistered,
        ApiKeyNotAllowed,
        RateLimited,
        ExternalIdVelocityExceeded,
        *BODY_ERRORS,
    ),
    openapi_extra=examples(request=ex.REDEEM_REQUEST, response=ex.REDEEM_RESPONSE),
    summary="Redeem an authentication code: create the user, or restore it on this install",
)
async def redeem_auth_code(request: Request, body: RedeemRequest) -> Response:
    app_id = parse_id(body.app_id) if body.app_id is not None else None
    if body.app_id is not None and app_id is None:
        raise AuthCodeAppMismatch()
    device = device_facts(body.device, body.app)
    redeemed = await run(
        request,
        lambda work: redemption.redeem(
            work,
            code=body.authentication_code,
            installation_nonce=body.installation_nonce,
            app_id=app_id,
            device=device,
            code_verifier=body.code_verifier,
        ),
        code_attempts(request),
    )
    return model_response(
        RedeemResponse(
            user_id=str(redeemed.user_id),
            install_id=str(redeemed.install.id),
            restored=redeemed.restored,
            is_linked=True,
            credentials=credentials_out(redeemed.credentials),
            configuration=sdk_configuration(request, redeemed.is_remote_enabled),
        )
    )
