"""Typed FastAPI dependencies: the backend, who is calling, rate limits, attestation, and the
refusal of requests that try to name a user. Every route declares what it needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from customer_backend import errors
from customer_backend.accounts import rules as account_rules
from customer_backend.accounts.errors import InvalidSession
from customer_backend.accounts.service import SessionCaller
from customer_backend.backend import Backend
from customer_backend.linking import rules as linking_rules
from customer_backend.linking.errors import ExternalIdNotAccepted
from customer_backend.web import client_address

ATTESTATION_HEADER = "X-Device-Attestation"

bearer = HTTPBearer(
    auto_error=False, description="`Authorization: Bearer <session token>` from /signup or /login"
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
AttestationHeader = Annotated[
    str | None,
    Header(
        alias=ATTESTATION_HEADER,
        description="The device's attestation statement (a JWS naming a nonce from "
        "/attestation/nonce); optional only when attestation is in development mode.",
    ),
]


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


BackendDep = Annotated[Backend, Depends(get_backend)]


def limit_ip(bucket: str) -> Callable[[Request], None]:
    def dependency(request: Request) -> None:
        get_backend(request).rate_limiter.hit_ip(bucket, client_address(request))

    return dependency


def limit_username(backend: Backend, bucket: str, username: str) -> None:
    """Per-account limit of /login and /signup, counted by the username tried."""
    backend.rate_limiter.hit_user(bucket, account_rules.username_key(username))


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        if request.headers.get("authorization", "").strip():
            raise InvalidSession("The Authorization header must read `Bearer <session token>`.")
        raise errors.MissingCredentials()
    return credentials.credentials.strip()


def _session(request: Request, credentials: BearerDep) -> SessionCaller:
    return get_backend(request).accounts.authenticate(_token(request, credentials))


SessionDep = Annotated[SessionCaller, Depends(_session)]


def attested_session(bucket: str) -> Callable[..., SessionCaller]:
    """The guard of the routes that reach the platform or hand out the app secret, in order:
    the per-IP limit, the session, the per-user limit, then the device's attestation."""

    def dependency(
        request: Request, credentials: BearerDep, statement: AttestationHeader = None
    ) -> SessionCaller:
        backend = get_backend(request)
        backend.rate_limiter.hit_ip(bucket, client_address(request))
        caller = backend.accounts.authenticate(_token(request, credentials))
        backend.rate_limiter.hit_user(bucket, str(caller.user_id))
        backend.attestation.check(caller, statement)
        return caller

    return dependency


async def refuse_identity_fields(request: Request) -> None:
    """The user comes from the session only: a query or body field naming a user (external_id,
    user_id, ...) is refused, so an app that tries to choose the user learns it at once."""
    fields = list(request.query_params.keys())
    body = await request.body()
    if body:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/x-www-form-urlencoded":
            fields += [name for name, _ in parse_qsl(body.decode("latin-1"))]
        else:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                fields += [str(name) for name in parsed]
    named = linking_rules.identity_fields(fields)
    if named:
        raise ExternalIdNotAccepted(
            "This backend takes the user id from the session only; remove "
            + ", ".join(f"`{name[:64]}`" for name in named[:5])
            + "."
        )
