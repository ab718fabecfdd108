"""Who is calling: the credential a request presents, read on the event loop (no database), and
checked inside the request's unit of work (`authenticate`), in the one statement each credential
costs. Every route declares one of these, or is deliberately public."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from userlink import errors
from userlink.api_keys import service as api_keys
from userlink.api_keys.errors import (
    ApiKeyExpired,
    ApiKeyRevoked,
    InsufficientScope,
    InvalidApiKey,
)
from userlink.api_keys.rules import Scope
from userlink.api_keys.service import ApiKeyCaller
from userlink.apps import service as apps
from userlink.apps.errors import InvalidAppCredentials
from userlink.apps.service import App
from userlink.http.transactions import FailureLimit, Limit, run, runtime_of
from userlink.kit import secrets
from userlink.kit.ids import parse_id
from userlink.sdk_credentials import service as sdk_credentials
from userlink.sdk_credentials.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    RefreshTokenExpired,
    RefreshTokenInvalid,
)
from userlink.sdk_credentials.service import SdkCaller
from userlink.unit_of_work import UnitOfWork

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")


class _DeclaredBasic(HTTPBasic):
    """Declares HTTP Basic in the OpenAPI document and parses nothing: FastAPI's own parser answers
    a malformed header with a bare 401, where this route owes `INVALID_APP_CREDENTIALS`."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        return None


basic = _DeclaredBasic(auto_error=False, description="App id and app secret (legacy SDK init)")


def client_address(request: Request) -> str:
    """The peer's address, or the client a trusted proxy names (`forwarded_allow_ips`)."""
    return request.client.host if request.client else "unknown"


# Refusals that mean "this value is not a credential that works here": what guessing produces.
# Not counted: a missing header (nothing was checked), a real key lacking a scope, an install
# reset since, an API key presented on an SDK route (answered the same whether it is real).
CREDENTIAL_FAILURES: tuple[type[errors.UserlinkError], ...] = (
    InvalidApiKey,
    ApiKeyRevoked,
    ApiKeyExpired,
    AccessTokenInvalid,
    AccessTokenExpired,
    RefreshTokenInvalid,
    RefreshTokenExpired,
    InvalidAppCredentials,
)


def credential_failures(request: Request) -> FailureLimit:
    """Failed credential checks of every kind, per client address: whatever the guessed value,
    so guessing many keys, tokens or secrets from one address is slowed alike. Successful checks
    are not counted."""
    rule = runtime_of(request).settings.rate_limit_credential_failures
    return FailureLimit(rule, "credential_failures", client_address(request), CREDENTIAL_FAILURES)


def code_attempts(request: Request) -> Limit:
    """Every presentation of an authentication code, per client address, on every route that
    takes one: redemption and linking share the allowance, so codes cannot be guessed faster
    through either."""
    rule = runtime_of(request).settings.rate_limit_redemption
    return Limit(rule, "auth_code", client_address(request))


def _bearer_token(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    malformed: type[errors.Unauthorized],
) -> str:
    if credentials is None or not credentials.credentials:
        if request.headers.get("authorization", "").strip():
            # A header was sent, in another form (no `Bearer `, another scheme): say so.
            raise malformed("The Authorization header must read `Bearer <token>`.")
        raise errors.MissingCredentials()
    return credentials.credentials.strip()


@dataclass(frozen=True)
class PresentedApiKey:
    token: str
    scope: Scope
    limit: FailureLimit

    def authenticate(self, work: UnitOfWork) -> ApiKeyCaller:
        return api_keys.authenticate(work, self.token, self.scope)


def api_key_with(scope: Scope) -> Callable[..., Awaitable[PresentedApiKey]]:
    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> PresentedApiKey:
        token = _bearer_token(request, credentials, InvalidApiKey)
        return PresentedApiKey(token, scope, credential_failures(request))

    return dependency


# What any API-key route can answer, for the OpenAPI document.
API_KEY_ERRORS: tuple[type[errors.UserlinkError], ...] = (
    errors.MissingCredentials,
    InvalidApiKey,
    ApiKeyRevoked,
    ApiKeyExpired,
    InsufficientScope,
    errors.RateLimited,
)

LinkKey = Annotated[PresentedApiKey, Depends(api_key_with(Scope.USER_LINK))]
ReadKey = Annotated[PresentedApiKey, Depends(api_key_with(Scope.USER_READ))]
DeleteKey = Annotated[PresentedApiKey, Depends(api_key_with(Scope.USER_DELETE))]
AdminKey = Annotated[PresentedApiKey, Depends(api_key_with(Scope.USER_ADMIN))]
WebhooksKey = Annotated[PresentedApiKey, Depends(api_key_with(Scope.WEBHOOKS_MANAGE))]


@dataclass(frozen=True)
class PresentedAccessToken:
    token: str
    limit: FailureLimit

    def authenticate(self, work: UnitOfWork) -> SdkCaller:
        return sdk_credentials.authenticate(work, self.token)


async def _access_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> PresentedAccessToken:
    token = _bearer_token(request, credentials, AccessTokenInvalid)
    return PresentedAccessToken(token, credential_failures(request))


AccessToken = Annotated[PresentedAccessToken, Depends(_access_token)]


@dataclass(frozen=True)
class PresentedAppSecret:
    app_id: uuid.UUID | None
    secret: str
    limit: FailureLimit

    def authenticate(self, work: UnitOfWork) -> App:
        return apps.authenticate_app(work, self.app_id, self.secret)


async def _app_secret(
    request: Request,
    _declared: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> PresentedAppSecret:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        raise errors.MissingCredentials()
    if scheme.lower() != "basic":
        raise InvalidAppCredentials()
    try:
        app_id_text, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidAppCredentials() from error
    return PresentedAppSecret(parse_id(app_id_text), secret, credential_failures(request))


AppSecret = Annotated[PresentedAppSecret, Depends(_app_secret)]


async def refuse_api_key(request: Request, token: str) -> None:
    """An API key presented where a device credential belongs has leaked into an app: recorded
    (when it is a real key) and refused. Checking the shape costs nothing; only a key-shaped
    token reaches the database."""
    if secrets.looks_like(token, secrets.SecretKind.API_KEY):
        path = request.url.path
        await run(
            request,
            lambda work: api_keys.refuse_on_sdk_route(work, token, path),
            credential_failures(request),
        )


async def refuse_api_key_header(request: Request) -> None:
    """Router-level guard on every SDK route, whatever credential the route itself expects, and
    whatever form the header takes (`Bearer <key>`, the bare key, another scheme), in every
    Authorization header the request carries."""
    for header in request.headers.getlist("authorization"):
        for word in header.split():
            await refuse_api_key(request, word)
