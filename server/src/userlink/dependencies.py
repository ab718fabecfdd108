"""Typed FastAPI dependencies: the unit of work and who is calling. Every route declares one."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

import anyio
import anyio.to_thread
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
from userlink.installs import service as installs
from userlink.installs.errors import AccessTokenInvalid
from userlink.installs.service import SdkCaller
from userlink.kit import secrets
from userlink.kit.ids import parse_id
from userlink.platform import Platform
from userlink.web import client_address, request_ref
from userlink.work import Work

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")


class _DeclaredBasic(HTTPBasic):
    """Declares HTTP Basic in the OpenAPI document and parses nothing: FastAPI's own parser answers
    a malformed header with a bare 401, where this route owes `INVALID_APP_CREDENTIALS`."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        return None


basic = _DeclaredBasic(auto_error=False, description="App id and app secret (legacy SDK init)")


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _unit_of_work_slots(request: Request) -> anyio.Semaphore:
    """How many requests may hold a unit of work at once: no more than the pool has connections,
    and fewer than the worker threads, so a request holding a connection always finds a thread
    to finish on. Without it a burst larger than the pool deadlocks: the requests waiting for a
    connection take every worker thread, the ones holding connections (and row locks) cannot run
    to their commit, and after the pool's 30 s timeout the waiters answer 500."""
    state = request.app.state
    slots: anyio.Semaphore | None = getattr(state, "unit_of_work_slots", None)
    if slots is None:
        threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
        capacity = get_platform(request).database.max_concurrent_transactions
        slots = anyio.Semaphore(max(1, min(capacity, threads - 1)))
        state.unit_of_work_slots = slots
    return slots


async def _unit_of_work_slot(request: Request) -> AsyncIterator[None]:
    # Waits on the event loop, holding no thread.
    async with _unit_of_work_slots(request):
        yield


def _work(
    request: Request, _slot: Annotated[None, Depends(_unit_of_work_slot, scope="function")]
) -> Iterator[Work]:
    """The request boundary: one transaction per request, committed before the response is sent."""
    platform = get_platform(request)
    with platform.database.transaction() as connection:
        yield platform.work(connection, request_ref(request))


# scope="function": the transaction ends when the endpoint returns, before the response goes out,
# so a client never reads an answer whose data is not committed yet.
WorkDep = Annotated[Work, Depends(_work, scope="function")]


def rate_limit(request: Request, rule: str, bucket: str, identity: str) -> None:
    retry_after = get_platform(request).rate_limiter.hit(rule, bucket, identity)
    if retry_after is not None:
        raise errors.RateLimited(retry_after=retry_after)


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


def api_key_with(scope: Scope) -> Callable[..., ApiKeyCaller]:
    def dependency(
        request: Request,
        work: WorkDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKeyCaller:
        token = _bearer_token(request, credentials, InvalidApiKey)
        rate_limit(
            request,
            work.settings.rate_limit_credentials,
            "api_key",
            f"{client_address(request)}:{token[:12]}",
        )
        return api_keys.authenticate(work, token, scope)

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

LinkCaller = Annotated[ApiKeyCaller, Depends(api_key_with(Scope.USER_LINK))]
ReadCaller = Annotated[ApiKeyCaller, Depends(api_key_with(Scope.USER_READ))]
DeleteCaller = Annotated[ApiKeyCaller, Depends(api_key_with(Scope.USER_DELETE))]


def refuse_api_keys(request: Request, work: WorkDep, token: str) -> None:
    if secrets.looks_like(token, secrets.SecretKind.API_KEY):
        api_keys.refuse_on_sdk_route(work, token, request.url.path)


def _sdk_caller(
    request: Request,
    work: WorkDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> SdkCaller:
    token = _bearer_token(request, credentials, AccessTokenInvalid)
    refuse_api_keys(request, work, token)
    rate_limit(request, work.settings.rate_limit_credentials, "sdk", client_address(request))
    return installs.authenticate(work, token)


SdkCallerDep = Annotated[SdkCaller, Depends(_sdk_caller)]


def _app_credentials(
    request: Request,
    work: WorkDep,
    _declared: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> App:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        raise errors.MissingCredentials()
    if scheme.lower() == "bearer":
        refuse_api_keys(request, work, value.strip())
    if scheme.lower() != "basic":
        raise InvalidAppCredentials()
    try:
        app_id_text, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise InvalidAppCredentials() from error
    rate_limit(request, work.settings.rate_limit_credentials, "app", client_address(request))
    return apps.authenticate_app(work, parse_id(app_id_text), secret)


AppCaller = Annotated[App, Depends(_app_credentials)]


def refuse_api_key_header(request: Request, work: WorkDep) -> None:
    """Router-level guard on every SDK route, whatever credential the route itself expects, and
    whatever form the header takes (`Bearer <key>`, the bare key, another scheme)."""
    for word in request.headers.get("authorization", "").split():
        refuse_api_keys(request, work, word)
