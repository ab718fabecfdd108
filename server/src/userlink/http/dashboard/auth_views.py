"""Login, the second factor, logout, the account page (password, TOTP enrolment, sessions) and
invitations."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
import segno
from fastapi import APIRouter, Depends, Form, Request, Response

from userlink.accounts import rules as account_rules
from userlink.accounts import service as accounts
from userlink.accounts.errors import InvalidLogin, InvalidSecondFactor, WeakPassword
from userlink.dashboard_sessions import service as sessions
from userlink.http.dashboard.web import (
    PREFIX,
    DashboardRoute,
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
    limits = login_limits(request, account_key(request, email))
    candidate = await run(request, lambda work: accounts.login_candidate(work, email), *limits)
    # argon2 is slow on purpose: checked in a worker thread, outside any transaction.
    matches = await anyio.to_thread.run_sync(verify_password, candidate.password_hash, password)
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
    viewer = await as_viewer(request, lambda work, viewer: viewer, complete=False)
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

    viewer = await as_viewer(request, lambda work, viewer: viewer, complete=False)
    limits = login_limits(request, account_key(request, viewer.session.email))
    try:
        await as_viewer(request, complete, *limits, complete=False)
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
        request, lambda work, viewer: sessions.end(work, viewer.session), complete=False
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
    viewer = await as_viewer(request, lambda work, viewer: viewer, complete=False)
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

    viewer, current_hash = await as_viewer(request, stored_hash, complete=False)
    problem = account_rules.password_problem(new_password, viewer.session.email)
    if new_password != repeat_password:
        problem = "The two new passwords differ."
    if problem is None and not await anyio.to_thread.run_sync(
        verify_password, current_hash, current_password
    ):
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
    new_hash = await anyio.to_thread.run_sync(hash_password, new_password)
    await as_viewer(
        request,
        lambda work, viewer: accounts.set_password(work, viewer.account_id, password_hash=new_hash),
        complete=False,
    )
    return redirect(f"{PREFIX}/?notice=password-changed")


@router.get("/account/second-factor")
async def totp_page(request: Request) -> Response:
    def begin(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, accounts.TotpEnrolment]:
        return viewer, accounts.begin_totp_enrolment(work, viewer.account_id)

    viewer, enrolment = await as_viewer(request, begin, complete=False)
    return render(request, "auth/totp.html", _enrolment_context(enrolment), viewer=viewer)


def _enrolment_context(enrolment: accounts.TotpEnrolment) -> dict[str, object]:
    qr = segno.make(enrolment.provisioning_uri, error="m")
    return {
        "secret": enrolment.secret,
        "qr_svg": qr.svg_inline(scale=5, dark="#111", light="#fff"),
        "provisioning_uri": enrolment.provisioning_uri,
    }


@router.post("/account/second-factor", dependencies=[Csrf])
async def confirm_totp(request: Request, code: Annotated[str, Form(max_length=64)]) -> Response:
    def confirm(work: UnitOfWork, viewer: Viewer) -> list[str]:
        codes = accounts.confirm_totp_enrolment(work, viewer.account_id, code)
        if not viewer.session.second_factor_done:
            sessions.complete_second_factor(work, viewer.session)
        return codes

    try:
        codes = await as_viewer(request, confirm, complete=False)
    except InvalidSecondFactor as error:

        def again(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, accounts.TotpEnrolment]:
            return viewer, accounts.begin_totp_enrolment(work, viewer.account_id)

        viewer, enrolment = await as_viewer(request, again, complete=False)
        return render(
            request,
            "auth/totp.html",
            {**_enrolment_context(enrolment), "error": error.message},
            status_code=error.status_code,
            viewer=viewer,
        )
    viewer = await as_viewer(request, lambda work, viewer: viewer, complete=False)
    return render(request, "auth/recovery_codes.html", {"codes": codes}, viewer=viewer)


@router.get("/invitations/{token}")
async def invitation_page(request: Request, token: str) -> Response:
    invitation = await run(request, lambda work: accounts.open_invitation(work, token))
    response = render(request, "auth/invitation.html", {"invitation": invitation, "token": token})
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
    invitation = await run(request, lambda work: accounts.open_invitation(work, token))
    password_hash = None
    if not invitation.account_exists:
        problem = account_rules.password_problem(password, invitation.email)
        if password != repeat_password:
            problem = "The two passwords differ."
        if problem is not None:
            error = WeakPassword(problem)
            response = render(
                request,
                "auth/invitation.html",
                {"invitation": invitation, "token": token, "error": error.message},
                status_code=error.status_code,
            )
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        password_hash = await anyio.to_thread.run_sync(hash_password, password)
    await run(
        request,
        lambda work: accounts.accept_invitation(work, token, password_hash=password_hash),
    )
    return redirect(f"{PREFIX}/login?notice=invitation-accepted")
