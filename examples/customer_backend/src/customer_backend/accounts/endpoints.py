"""Sign-up, login, logout: thin routes over accounts.service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from customer_backend.accounts.errors import (
    InvalidLogin,
    InvalidSession,
    InvalidUsername,
    UsernameTaken,
    WeakPassword,
)
from customer_backend.accounts.schemas import Credentials, SessionOut
from customer_backend.dependencies import BackendDep, SessionDep, limit_ip, limit_username
from customer_backend.errors import InvalidJson, MissingCredentials, RateLimited
from customer_backend.web import error_responses

router = APIRouter(tags=["accounts"])


@router.post(
    "/signup",
    status_code=201,
    response_model=SessionOut,
    dependencies=[Depends(limit_ip("signup"))],
    responses=error_responses(
        UsernameTaken, InvalidUsername, WeakPassword, InvalidJson, RateLimited
    ),
    summary="Create an account and log it in",
)
def sign_up(body: Credentials, backend: BackendDep) -> SessionOut:
    limit_username(backend, "signup", body.username)
    issued = backend.accounts.sign_up(body.username, body.password)
    return SessionOut(token=issued.token, user_id=issued.user_id)


@router.post(
    "/login",
    response_model=SessionOut,
    dependencies=[Depends(limit_ip("login"))],
    responses=error_responses(InvalidLogin, InvalidJson, RateLimited),
    summary="Log in: a new session token",
)
def log_in(body: Credentials, backend: BackendDep) -> SessionOut:
    limit_username(backend, "login", body.username)
    issued = backend.accounts.log_in(body.username, body.password)
    return SessionOut(token=issued.token, user_id=issued.user_id)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=error_responses(MissingCredentials, InvalidSession),
    summary="End this session: its token stops working",
)
def log_out(caller: SessionDep, backend: BackendDep) -> Response:
    backend.accounts.log_out(caller)
    return Response(status_code=204)
