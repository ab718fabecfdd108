"""Login, the second factor, logout, the account page (password, TOTP enrolment, sessions) and
invitations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import anyio.to_thread
import segno
from fastapi import APIRouter, Depends, Form, Request, Response

from userlink.accounts import rules as account_rules
from userlink.accounts import service as accounts
from userlink.accounts.errors import (
    AccountExists,
    InvalidLogin,
    InvalidSecondFactor,
    WeakPassword,
)
from userlink.dashboard_sessions import service as sessions
from userlink.errors import UserlinkError
from userlink.http.dashboard.web import (
    PREFIX,
    SESSION_COOKIE,
    DashboardRoute,
    Stage,
    as_viewer,
    check_csrf,
    clear_session_cookie,
    client_address,
    redirect,
    render,
    safe_next,
    set_session_cookie,
)
from userlink.http.transactions import FailureLimit, run, runtime_of
from userlink.kit.passwords import hash_password, needs_rehash, verify_password
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import dashboard_login
from userlink.usecases.dashboard_access import Viewer

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
Csrf = Depends(check_csrf)
FormText = Annotated[str, Form(max_length=1024)]

LOGIN_REFUSALS = (InvalidLogin, InvalidSecondFactor)


def login_limits(request: Request, account_key: str) -> tuple[FailureLimit, FailureLimit]:
    """Failed logins per account and per address (the account named by a keyed hash of its
    email: the limiter's storage never holds an email)."""
    settings = runtime_of(request).settings
    return (
        FailureLimit(
            settings.rate_limit_login_failures_per_account,
            "dashboard-login-account",
            account_key,
            LOGIN_REFUSALS,
        ),
        FailureLimit(
            settings.rate_limit_login_failures_per_address,
            "dashboard-login-address",
            client_address(request),
            LOGIN_REFUSALS,
        ),
    )


class LoginGate:
    """Per process: each account's attempts one after another, so a burst of guesses is judged
    against the failure limit one by one instead of all before the first failure counts; and
    at most `concurrent` argon2 computations at once (each takes 64 MiB and a core for tens of
    milliseconds), so a burst of logins cannot starve the API. Several processes each keep
    their own gate: at most one guess per process slips past a full limit."""

    def __init__(self, concurrent: int = 2) -> None:
        self.argon2 = anyio.Semaphore(concurrent)
        self._accounts: dict[str, anyio.Lock] = {}

    @asynccontextmanager
    async def account(self, key: str) -> AsyncIterator[None]:
        lock = self._accounts.setdefault(key, anyio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._accounts.pop(key, None)


def _gate(request: Request) -> LoginGate:
    gate: LoginGate = request.app.state.login_gate
    return gate


def _argon2_slots(request: Request) -> anyio.Semaphore:
    return _gate(request).argon2


def account_key(request: Request, email: str) -> str:
    normalised = account_rules.normalise_email(email) or email.strip().lower()
    return runtime_of(request).hasher.hash(f"login:{normalised}")[:32]


@router.get("")
async def dashboard_root(request: Request) -> Response:
    # `/dashboard` typed without its slash: the router redirects no slashes on its own.
    return redirect(f"{PREFIX}/")


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    email: FormText,
    password: FormText,
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    key = account_key(request, email)
    limits = login_limits(request, key)
    async with _gate(request).account(key):
        candidate = await run(request, lambda work: accounts.login_candidate(work, email), *limits)
        # argon2 is slow on purpose: checked in a worker thread, outside any transaction.
        async with _argon2_slots(request):
            matches = await anyio.to_thread.run_sync(
                verify_password, candidate.password_hash, password
            )
        account_id = candidate.account_id
        if not matches or account_id is None:
            try:
                await run(
                    request, lambda work: dashboard_login.refuse_password(work, account_id), *limits
                )
            except InvalidLogin as error:
                return render(
                    request,
                    "auth/login.html",
                    {"next": safe_next(next), "error": error.message, "email": email},
                    status_code=error.status_code,
                )
    rehashed = None
    if candidate.password_hash is not None and needs_rehash(candidate.password_hash):
        async with _argon2_slots(request):
            rehashed = await anyio.to_thread.run_sync(hash_password, password)
    assert account_id is not None
    started = await run(
        request,
        lambda work: dashboard_login.begin(
            work,
            account_id,
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            rehashed_password=rehashed,
        ),
    )
    target = safe_next(next)
    if not started.session.second_factor_done:
        target = f"{PREFIX}/login/second-factor?next={target}"
    response = redirect(target)
    set_session_cookie(request, response, started.token)
    return response


@router.get("/login/second-factor")
async def second_factor_page(request: Request, next: str | None = None) -> Response:
    viewer = await as_viewer(request, lambda work, viewer: viewer, stage=Stage.FIRST_FACTOR)
    if viewer.session.second_factor_done:
        return redirect(safe_next(next))
    return render(request, "auth/second_factor.html", {"next": safe_next(next)}, viewer=viewer)


@router.post("/login/second-factor", dependencies=[Csrf])
async def second_factor(
    request: Request,
    code: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    def complete(work: UnitOfWork, viewer: Viewer) -> Viewer:
        if not viewer.session.second_factor_done:
            dashboard_login.complete(work, viewer.session, code)
        return viewer

    viewer = await as_viewer(request, lambda work, viewer: viewer, stage=Stage.FIRST_FACTOR)
    key = account_key(request, viewer.session.email)
    try:
        async with _gate(request).account(key):
            await as_viewer(
                request, complete, *login_limits(request, key), stage=Stage.FIRST_FACTOR
            )
    except InvalidSecondFactor as error:
        return render(
            request,
            "auth/second_factor.html",
            {"next": safe_next(next), "error": error.message},
            status_code=error.status_code,
            viewer=viewer,
        )
    return redirect(safe_next(next))


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request) -> Response:
    await as_viewer(
        request, lambda work, viewer: sessions.end(work, viewer.session), stage=Stage.FIRST_FACTOR
    )
    response = redirect(f"{PREFIX}/login?notice=logged-out")
    clear_session_cookie(response)
    return response


@router.post("/account/logout-everywhere", dependencies=[Csrf])
async def logout_everywhere(request: Request) -> Response:
    await as_viewer(request, lambda work, viewer: sessions.end_all(work, viewer.account_id))
    response = redirect(f"{PREFIX}/login?notice=logged-out-everywhere")
    clear_session_cookie(response)
    return response


@router.get("/account")
async def account_page(request: Request) -> Response:
    viewer, recovery_codes_left = await as_viewer(
        request,
        lambda work, viewer: (
            viewer,
            accounts.remaining_recovery_codes(work, viewer.account_id),
        ),
    )
    return render(
        request,
        "auth/account.html",
        {"recovery_codes_left": recovery_codes_left},
        viewer=viewer,
    )


@router.get("/account/password")
async def password_page(request: Request) -> Response:
    viewer = await as_viewer(request, lambda work, viewer: viewer, stage=Stage.SETTING_UP)
    return render(request, "auth/password.html", {}, viewer=viewer)


@router.post("/account/password", dependencies=[Csrf])
async def change_password(
    request: Request,
    current_password: FormText,
    new_password: FormText,
    repeat_password: FormText,
) -> Response:
    def stored_hash(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, str | None]:
        return viewer, accounts.login_candidate(work, viewer.session.email).password_hash

    viewer, current_hash = await as_viewer(request, stored_hash, stage=Stage.SETTING_UP)
    problem = account_rules.password_problem(new_password, viewer.session.email)
    if new_password != repeat_password:
        problem = "The two new passwords differ."
    if problem is None:
        # The current password is guessed under the login's limits: a stolen session must not
        # be a way to try passwords.
        key = account_key(request, viewer.session.email)
        limits = login_limits(request, key)
        async with _gate(request).account(key):
            await run(request, lambda work: None, *limits)
            async with _argon2_slots(request):
                right = await anyio.to_thread.run_sync(
                    verify_password, current_hash, current_password
                )
            if not right:
                try:
                    await run(
                        request,
                        lambda work: dashboard_login.refuse_password(work, viewer.account_id),
                        *limits,
                    )
                except InvalidLogin:
                    problem = "The current password is wrong."
    if problem is not None:
        error = WeakPassword(problem)
        return render(
            request,
            "auth/password.html",
            {"error": error.message},
            status_code=error.status_code,
            viewer=viewer,
        )
    async with _argon2_slots(request):
        new_hash = await anyio.to_thread.run_sync(hash_password, new_password)
    await as_viewer(
        request,
        lambda work, viewer: dashboard_login.change_password(work, viewer.session, new_hash),
        stage=Stage.SETTING_UP,
    )
    return redirect(f"{PREFIX}/?notice=password-changed")


@router.get("/account/second-factor")
async def totp_page(request: Request) -> Response:
    def begin(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, accounts.TotpEnrolment]:
        return viewer, accounts.begin_totp_enrolment(work, viewer.account_id)

    viewer, enrolment = await as_viewer(request, begin, stage=Stage.SETTING_UP)
    return render(request, "auth/totp.html", _enrolment_context(enrolment), viewer=viewer)


def _enrolment_context(enrolment: accounts.TotpEnrolment) -> dict[str, object]:
    qr = segno.make(enrolment.provisioning_uri, error="m")
    return {
        "secret": enrolment.secret,
        "qr_svg": qr.svg_inline(scale=5, dark="#111", light="#fff"),
        "provisioning_uri": enrolment.provisioning_uri,
    }


@router.post("/account/second-factor", dependencies=[Csrf])
async def confirm_totp(
    request: Request,
    code: Annotated[str, Form(max_length=64)],
    current_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def confirm(work: UnitOfWork, viewer: Viewer) -> list[str]:
        return dashboard_login.enrol_second_factor(work, viewer.session, code, current_code)

    viewer = await as_viewer(request, lambda work, viewer: viewer, stage=Stage.SETTING_UP)
    key = account_key(request, viewer.session.email)
    try:
        async with _gate(request).account(key):
            codes = await as_viewer(
                request, confirm, *login_limits(request, key), stage=Stage.SETTING_UP
            )
    except InvalidSecondFactor as error:

        def again(work: UnitOfWork, viewer: Viewer) -> accounts.TotpEnrolment:
            return accounts.begin_totp_enrolment(work, viewer.account_id)

        enrolment = await as_viewer(request, again, stage=Stage.SETTING_UP)
        return render(
            request,
            "auth/totp.html",
            {**_enrolment_context(enrolment), "error": error.message},
            status_code=error.status_code,
            viewer=viewer,
        )
    return render(request, "auth/recovery_codes.html", {"codes": codes}, viewer=viewer)


@router.get("/invitations/{token}")
async def invitation_page(request: Request, token: str) -> Response:
    invitation = await run(request, lambda work: accounts.open_invitation(work, token))
    return _invitation_page(request, invitation, token)


def _invitation_page(
    request: Request,
    invitation: accounts.Invitation,
    token: str,
    error: UserlinkError | None = None,
) -> Response:
    # The same page whether the email has an account or not: the link does not tell.
    response = render(
        request,
        "auth/invitation.html",
        {"invitation": invitation, "token": token, "error": error.message if error else None},
        status_code=error.status_code if error else 200,
    )
    # The token is in the path: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/invitations/{token}", dependencies=[Csrf])
async def accept_invitation(
    request: Request,
    token: str,
    password: Annotated[str, Form(max_length=1024)] = "",
    repeat_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """A newcomer chooses a password; someone with an account accepts while logged in as it."""
    invitation = await run(request, lambda work: accounts.open_invitation(work, token))
    if request.cookies.get(SESSION_COOKIE) and not password:
        await as_viewer(
            request,
            lambda work, viewer: dashboard_login.accept_invitation_as(work, viewer, token),
        )
        return redirect(f"{PREFIX}/?notice=invitation-accepted-here")
    problem = account_rules.password_problem(password, invitation.email)
    if password != repeat_password:
        problem = "The two passwords differ."
    if problem is not None:
        return _invitation_page(request, invitation, token, WeakPassword(problem))
    async with _argon2_slots(request):
        password_hash = await anyio.to_thread.run_sync(hash_password, password)
    try:
        await run(
            request,
            lambda work: accounts.accept_invitation(work, token, password_hash=password_hash),
        )
    except AccountExists as error:
        return _invitation_page(request, invitation, token, error)
    return redirect(f"{PREFIX}/login?notice=invitation-accepted")
