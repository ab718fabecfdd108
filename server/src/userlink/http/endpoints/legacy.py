"""The legacy flow (DESIGN §2.2): the SDK registers an install with the app's credentials, the
customer's backend links it server-to-server, the SDK confirms; and `link_user` with a code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response

from userlink.api_keys.errors import ApiKeyNotAllowed
from userlink.apps.errors import AppDisabled, InvalidAppCredentials, LegacyRegistrationDisabled
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeVerifierMismatch,
    ExternalIdBlocked,
    InvalidExternalId,
)
from userlink.errors import MissingCredentials, RateLimited
from userlink.http import idempotency
from userlink.http.credentials import (
    API_KEY_ERRORS,
    AccessToken,
    AppSecret,
    LinkKey,
    code_attempts,
)
from userlink.http.endpoints.previews import link_preview_out
from userlink.http.endpoints.sdk import SDK_AUTH_ERRORS, sdk_configuration
from userlink.http.envelope import BODY_ERRORS, error_responses
from userlink.http.examples import examples
from userlink.http.middleware import require_json, require_json_if_any
from userlink.http.parameters import InstallId
from userlink.http.responses import model_response
from userlink.http.routing import JsonRoute
from userlink.http.schemas import examples as ex
from userlink.http.schemas.common import credentials_out, device_facts
from userlink.http.schemas.legacy import (
    ConfirmIn,
    InstallStateOut,
    LinkWithCodeIn,
    RegisterInstallIn,
    RegisterInstallOut,
)
from userlink.http.schemas.previews import LinkPreviewOut
from userlink.http.schemas.users import LinkRequest, LinkResponse
from userlink.http.transactions import run
from userlink.installs.errors import (
    InstallDeleted,
    InstallDisabled,
    InstallDoesNotBelongToApp,
    InstallNotFound,
)
from userlink.installs.service import Install
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import legacy_linking, previews
from userlink.usecases.errors import (
    CannotLinkExistingPersonToOtherPerson,
    ExternalIdAlreadyLinked,
    InstallLinkedToOtherUser,
    InstallNotLinked,
    UserAlreadyLinked,
    UserlinkingNotConfigured,
)
from userlink.users.errors import ExternalIdVelocityExceeded
from userlink.users.service import User

router = APIRouter(tags=["server-to-server"], route_class=JsonRoute)
sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"], route_class=JsonRoute)


def state_out(request: Request, user: User, install: Install) -> Response:
    return model_response(
        InstallStateOut(
            user_id=str(user.id),
            install_id=str(install.id),
            is_linked=user.is_linked,
            configuration=sdk_configuration(request, install.is_active),
        )
    )


@router.post(
    "/v2/users/{install_id}/link",
    response_model=LinkResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS,
        *BODY_ERRORS,
        InvalidExternalId,
        ExternalIdBlocked,
        ExternalIdVelocityExceeded,
        InstallNotFound,
        InstallDoesNotBelongToApp,
        InstallDisabled,
        InstallDeleted,
        InstallLinkedToOtherUser,
        CannotLinkExistingPersonToOtherPerson,
        UserlinkingNotConfigured,
        *idempotency.ERRORS,
    ),
    openapi_extra=examples(
        request=ex.LINK_REQUEST, response=ex.LINK_RESPONSE, extra=idempotency.OPENAPI
    ),
    summary="Link an install id (from the SDK's linker) to one of your users",
)
async def link_install(
    request: Request, install_id: InstallId, body: LinkRequest, key: LinkKey
) -> Response:
    parsed = parse_id(install_id)
    once = idempotency.once(request, body)

    def link(work: UnitOfWork) -> Response:
        caller = key.authenticate(work)

        def execute() -> Response:
            user_id = legacy_linking.link_install(work, caller, parsed, body.external_id)
            return model_response(LinkResponse(id=str(user_id)))

        return once(work, caller.app_id, execute)

    return await run(request, link, key.limit)


@router.post(
    "/v2/users/{install_id}/link/preview",
    response_model=LinkPreviewOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS,
        *BODY_ERRORS,
        InvalidExternalId,
        ExternalIdBlocked,
        InstallNotFound,
        InstallDoesNotBelongToApp,
        InstallDisabled,
        InstallDeleted,
        InstallLinkedToOtherUser,
        CannotLinkExistingPersonToOtherPerson,
        UserlinkingNotConfigured,
    ),
    openapi_extra=examples(request=ex.LINK_REQUEST, response=ex.LINK_PREVIEW),
    summary="What linking this install to one of your users would do, without linking it",
    description="Same body and refusals as the link (the velocity limit aside); writes nothing.",
)
async def preview_link(
    request: Request, install_id: InstallId, body: LinkRequest, key: LinkKey
) -> Response:
    parsed = parse_id(install_id)
    preview = await run(
        request,
        lambda work: previews.preview_link(work, key.authenticate(work), parsed, body.external_id),
        key.limit,
    )
    return model_response(link_preview_out(preview))


@sdk_router.post(
    "/installs",
    status_code=201,
    response_model=RegisterInstallOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        MissingCredentials,
        InvalidAppCredentials,
        AppDisabled,
        LegacyRegistrationDisabled,
        ApiKeyNotAllowed,
        RateLimited,
        *BODY_ERRORS,
    ),
    openapi_extra=examples(request=ex.REGISTER_REQUEST, response=ex.REGISTER_RESPONSE, status=201),
    summary="Legacy init: register an install with the app id and app secret (HTTP Basic)",
)
async def register_install(request: Request, body: RegisterInstallIn, app: AppSecret) -> Response:
    device = device_facts(body.device, body.app)
    registration = await run(
        request,
        lambda work: legacy_linking.register_install(
            work,
            app.authenticate(work),
            installation_nonce=body.installation_nonce,
            device=device,
        ),
        app.limit,
    )
    return model_response(
        RegisterInstallOut(
            user_id=str(registration.user.id),
            install_id=str(registration.install.id),
            is_linked=False,
            credentials=credentials_out(registration.credentials),
            configuration=sdk_configuration(request, registration.install.is_active),
        ),
        status_code=201,
    )


@sdk_router.post(
    "/link/confirm",
    response_model=InstallStateOut,
    dependencies=[Depends(require_json_if_any)],
    responses=error_responses(*SDK_AUTH_ERRORS, InstallNotLinked, *BODY_ERRORS),
    openapi_extra=examples(request=ex.CONFIRM_REQUEST, response=ex.INSTALL_STATE),
    summary="After the app's linker succeeded: confirm the platform shows the link",
)
async def confirm_link(
    request: Request, token: AccessToken, body: Annotated[ConfirmIn | None, Body()] = None
) -> Response:
    keep_unlinked = bool(body and body.established)
    user, install = await run(
        request,
        lambda work: legacy_linking.confirm(
            work, token.authenticate(work), keep_unlinked=keep_unlinked
        ),
        token.limit,
    )
    return state_out(request, user, install)


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
        AuthCodeVerifierMismatch,
        *BODY_ERRORS,
    ),
    openapi_extra=examples(request=ex.LINK_WITH_CODE_REQUEST, response=ex.INSTALL_STATE),
    summary="Link this install's unlinked user with an authentication code",
)
async def link_with_code(request: Request, body: LinkWithCodeIn, token: AccessToken) -> Response:
    user, install = await run(
        request,
        lambda work: legacy_linking.link_with_code(
            work, token.authenticate(work), body.authentication_code, body.code_verifier
        ),
        token.limit,
        code_attempts(request),
    )
    return state_out(request, user, install)
