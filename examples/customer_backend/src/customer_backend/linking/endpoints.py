"""The routes that act on the platform for the logged-in user (session + attestation)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from customer_backend.accounts.errors import InvalidSession
from customer_backend.accounts.service import SessionCaller
from customer_backend.attestation.errors import AttestationFailed
from customer_backend.dependencies import BackendDep, attested_session, refuse_identity_fields
from customer_backend.errors import MissingCredentials, RateLimited
from customer_backend.linking.errors import (
    AppSecretNotConfigured,
    ExternalIdNotAccepted,
    InstallNotFound,
    PlatformFailed,
    PlatformRejectedApiKey,
    PlatformUnreachable,
)
from customer_backend.linking.schemas import (
    AppCredentialsOut,
    AuthCodeOut,
    AuthCodePreviewOut,
    LinkOut,
    OtherDeviceOut,
)
from customer_backend.web import error_responses

router = APIRouter(tags=["linking"])

GUARD_ERRORS = (MissingCredentials, InvalidSession, AttestationFailed, RateLimited)
PLATFORM_ERRORS = (PlatformUnreachable, PlatformRejectedApiKey, PlatformFailed)
PASSED_THROUGH = (
    " Other platform refusals pass through with the platform's status, errorCode and message."
)


@router.get(
    "/auth/code",
    response_model=AuthCodeOut,
    dependencies=[Depends(refuse_identity_fields)],
    responses=error_responses(ExternalIdNotAccepted, *GUARD_ERRORS, *PLATFORM_ERRORS),
    summary="A platform authentication code for the logged-in user",
    description="The external id is the session's user id; nothing in the request can change it."
    + PASSED_THROUGH,
)
def auth_code(
    caller: Annotated[SessionCaller, Depends(attested_session("auth_code"))],
    backend: BackendDep,
    code_challenge: Annotated[
        str | None,
        Query(
            max_length=128,
            description="The SDK's `begin_user_creation()` challenge: the code then works only "
            "on the device that made it (PKCE S256). Forwarded to the platform as is.",
        ),
    ] = None,
) -> AuthCodeOut:
    grant = backend.linking.auth_code(caller, code_challenge)
    return AuthCodeOut(
        app_id=grant.app_id,
        auth_code=grant.auth_code,
        platform_url=grant.platform_url,
        expires_at=grant.expires_at,
    )


@router.get(
    "/auth/code/preview",
    response_model=AuthCodePreviewOut,
    dependencies=[Depends(refuse_identity_fields)],
    responses=error_responses(ExternalIdNotAccepted, *GUARD_ERRORS, *PLATFORM_ERRORS),
    summary="What a code for the logged-in user would do on this device, before asking for one",
    description="Asks the platform's `POST /users/auth-code/preview` (nothing is written, no "
    "code is minted): whether the account exists, and whether this device would take over "
    'from another active one, with a `message` for the user ("you are signed in on another '
    'phone").' + PASSED_THROUGH,
)
def auth_code_preview(
    caller: Annotated[SessionCaller, Depends(attested_session("auth_code_preview"))],
    backend: BackendDep,
    device_class: Annotated[
        Literal["phone", "tablet"],
        Query(description="This device, as the SDK classifies it (phone or tablet)."),
    ] = "phone",
) -> AuthCodePreviewOut:
    preview = backend.linking.preview_auth_code(caller, device_class)
    other = preview.other_device
    return AuthCodePreviewOut(
        outcome=preview.outcome,
        signed_in_elsewhere=preview.signed_in_elsewhere,
        will_be_active=preview.will_be_active,
        other_device=None
        if other is None
        else OtherDeviceOut(
            install_id=other.install_id,
            platform=other.platform,
            device_class=other.device_class,
            model=other.model,
        ),
        message=preview.message,
    )


@router.post(
    "/users/{install_id}/link",
    response_model=LinkOut,
    dependencies=[Depends(refuse_identity_fields)],
    responses=error_responses(
        ExternalIdNotAccepted, InstallNotFound, *GUARD_ERRORS, *PLATFORM_ERRORS
    ),
    summary="Link an SDK install (legacy flow) to the logged-in user",
    description="Calls the platform's `POST /v2/users/{install_id}/link` with the session's user "
    "id as the external id." + PASSED_THROUGH,
)
def link_install(
    install_id: str,
    caller: Annotated[SessionCaller, Depends(attested_session("link"))],
    backend: BackendDep,
) -> LinkOut:
    return LinkOut(id=backend.linking.link_install(caller, install_id))


@router.get(
    "/app-credentials",
    response_model=AppCredentialsOut,
    responses=error_responses(AppSecretNotConfigured, *GUARD_ERRORS),
    summary="The app id and app secret, for an authenticated app at runtime",
    description="So the app secret never ships inside the app (the vendor's first guideline).",
)
def app_credentials(
    caller: Annotated[SessionCaller, Depends(attested_session("app_credentials"))],
    backend: BackendDep,
) -> AppCredentialsOut:
    credentials = backend.linking.app_credentials(caller)
    return AppCredentialsOut(
        app_id=credentials.app_id,
        app_secret=credentials.app_secret,
        platform_url=credentials.platform_url,
    )
