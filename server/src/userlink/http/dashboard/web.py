"""What every dashboard page shares: templates, the session cookie, CSRF tokens, the one hop to
the database with the viewer resolved inside it, and errors rendered as pages.

CSRF: every form carries a token derived (keyed hash) from the session cookie, or before login
from a random pre-session cookie, and every POST must bring it back; a cross-site Origin is
refused as well. Cookies are HttpOnly and SameSite=Lax, Secure when the request came over HTTPS."""

from __future__ import annotations

import hmac
import secrets as stdlib_secrets
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from userlink.dashboard_sessions.errors import SessionInvalid
from userlink.errors import Forbidden, NotFound, UserlinkError, ValidationFailed
from userlink.http.observability import note_refusal
from userlink.http.transactions import RateLimit, run, runtime_of
from userlink.kit.clock import iso_utc
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import dashboard_access
from userlink.usecases.dashboard_access import Viewer

T = TypeVar("T")

HERE = Path(__file__).parent
SESSION_COOKIE = "userlink_session"
PRESESSION_COOKIE = "userlink_presession"
COOKIE_PATH = "/dashboard"
PREFIX = "/dashboard"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class CsrfRefused(Forbidden):
    error_code = "CSRF_TOKEN_INVALID"
    default_message = "This form is stale or did not come from this dashboard; reload the page."


class Redirect(Exception):
    """Leave the page for another (login, the second factor, a due password change)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def path_id(text: str, not_found: type[UserlinkError] = NotFound) -> uuid.UUID:
    """An id from the path; anything that is not one is simply not found."""
    parsed = parse_id(text)
    if parsed is None:
        raise not_found()
    return parsed


def when(value: datetime | None) -> Markup | str:
    """A moment for people (to the minute, UTC), the exact one in its tooltip."""
    if value is None:
        return "—"
    exact = iso_utc(value)
    shown = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return Markup('<time datetime="{0}" title="{0}">{1}&nbsp;UTC</time>').format(exact, shown)


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = when
    templates.env.globals["prefix"] = PREFIX
    return templates


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.dashboard_templates
    return templates


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https"


def _presession_seed(request: Request) -> str:
    seed = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "presession", None)
    if seed is None:
        seed = stdlib_secrets.token_urlsafe(24)
        request.state.presession = seed
    return str(seed)


def csrf_token(request: Request) -> str:
    seed = request.cookies.get(SESSION_COOKIE) or _presession_seed(request)
    return runtime_of(request).hasher.hash(f"csrf:{seed}")


async def check_csrf(request: Request) -> None:
    """A dependency of every POST route: the form's token must match this browser's."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise CsrfRefused()
    form = await request.form()
    presented = form.get("csrf_token")
    seed = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)
    if not isinstance(presented, str) or not seed:
        raise CsrfRefused()
    expected_token = runtime_of(request).hasher.hash(f"csrf:{seed}")
    if not hmac.compare_digest(presented.encode(), expected_token.encode()):
        raise CsrfRefused()


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    viewer: Viewer | None = None,
) -> HTMLResponse:
    values = {
        "request": request,
        "csrf_token": csrf_token(request),
        "viewer": viewer,
        "notice": request.query_params.get("notice"),
        **(context or {}),
    }
    response = _templates(request).TemplateResponse(
        request, template, values, status_code=status_code
    )
    presession = getattr(request.state, "presession", None)
    if presession is not None and not request.cookies.get(SESSION_COOKIE):
        response.set_cookie(
            PRESESSION_COOKIE,
            presession,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
        )
    return response


def redirect(location: str) -> RedirectResponse:
    # 303: the browser follows a POST's answer with a GET.
    return RedirectResponse(location, status_code=303)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = runtime_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.dashboard_session_absolute_hours * 3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    response.delete_cookie(PRESESSION_COOKIE, path=COOKIE_PATH)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Where to go after login: only a dashboard path of this site (no open redirect)."""
    if not target:
        return f"{PREFIX}/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{PREFIX}/") or "\\" in target:
        return f"{PREFIX}/"
    return target


class Stage(Enum):
    """How far into its login a session must be for a page."""

    # Every page but the ones below: the second factor given, the password chosen, TOTP enrolled
    # when the role requires it.
    COMPLETE = "complete"
    # Choosing a password, enrolling TOTP: the second factor given when the account has one.
    SETTING_UP = "setting_up"
    # The second-factor page itself and logout: the password alone.
    FIRST_FACTOR = "first_factor"


async def as_viewer(
    request: Request,
    use_case: Callable[[UnitOfWork, Viewer], T],
    *limits: RateLimit,
    stage: Stage = Stage.COMPLETE,
) -> T:
    """Run `use_case` for the signed-in viewer in one unit of work. A session not as far into
    its login as the page needs is sent where it must go first: the second factor (before
    anything else, so a password alone opens nothing), then a due password change, then a due
    TOTP enrolment."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SessionInvalid()

    def with_viewer(work: UnitOfWork) -> T:
        viewer = dashboard_access.viewer(work, token)
        session = viewer.session
        owes_second_factor = session.totp_enabled and not session.second_factor_done
        if stage is not Stage.FIRST_FACTOR and owes_second_factor:
            raise Redirect(f"{PREFIX}/login/second-factor")
        if stage is Stage.COMPLETE:
            if session.must_change_password:
                raise Redirect(f"{PREFIX}/account/password")
            if viewer.needs_second_factor_enrolment:
                raise Redirect(f"{PREFIX}/account/second-factor")
        return use_case(work, viewer)

    return await run(request, with_viewer, *limits)


def error_page(request: Request, error: UserlinkError) -> Response:
    note_refusal(request, error)
    if isinstance(error, SessionInvalid):
        login = f"{PREFIX}/login"
        if request.method == "GET":
            login += f"?next={quote(request.url.path)}"
        response: Response = redirect(login)
        clear_session_cookie(response)
        return response
    headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else None
    response = render(
        request,
        "error.html",
        {"error": error},
        status_code=error.status_code,
    )
    if headers:
        response.headers.update(headers)
    return response


class DashboardRoute(APIRoute):
    """Routes of the dashboard: errors become pages (not the API's JSON envelope), a Redirect
    becomes a 303, and every answer carries the pages' security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler: Callable[[Request], Awaitable[Response]] = super().get_route_handler()

        async def dashboard_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except Redirect as leave:
                response = redirect(leave.location)
            except UserlinkError as error:
                response = error_page(request, error)
            except RequestValidationError:
                # A form or query the pages never send (a forged or garbled request).
                response = error_page(
                    request, ValidationFailed("This form has a field missing or out of range.")
                )
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return dashboard_handler
