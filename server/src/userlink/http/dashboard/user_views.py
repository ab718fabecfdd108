"""Users and installs of an app: find a user, its page (installs, timeline, identity events),
erase it after a typed confirmation, disable an install (operators); and the app's insight
panel on a page of its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from userlink.apps.errors import AppNotFound
from userlink.http.dashboard.insight import INSIGHT_TEMPLATE, insight_context
from userlink.http.dashboard.web import (
    PREFIX,
    DashboardRoute,
    as_viewer,
    check_csrf,
    path_id,
    redirect,
    render,
)
from userlink.installs.errors import InstallNotFound
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import dashboard_users
from userlink.usecases.dashboard_access import Viewer
from userlink.usecases.errors import ConfirmationMismatch
from userlink.users.errors import UserNotFound

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
Csrf = Depends(check_csrf)
Cursor = Annotated[str | None, Query(max_length=200)]
BeforeId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]

# What an inactive install's reason means, in words (installs/rules.py, install_lifecycle.py).
INACTIVE_REASONS = {
    "PHONE_PREFERRED_OVER_TABLET": "a phone of this user is preferred over a tablet",
    "NEWER_INSTALL_ACTIVE": "a newer install of this user is active",
    "INSTALL_RESET": "reset on the device",
    "INSTALL_DISABLED": "disabled by an operator",
}


def users_path(app_id: object) -> str:
    return f"{PREFIX}/apps/{app_id}/users"


def user_path(app_id: object, user_id: object, notice: str | None = None) -> str:
    path = f"{users_path(app_id)}/{user_id}"
    return f"{path}?notice={notice}" if notice else path


@router.get("/apps/{app_id}/users")
async def search_page(
    request: Request, app_id: str, q: Annotated[str, Query(max_length=1024)] = ""
) -> Response:
    parsed = path_id(app_id, AppNotFound)
    viewer, found = await as_viewer(
        request, lambda work, viewer: (viewer, dashboard_users.search(work, viewer, parsed, q))
    )
    return render(request, "users/search.html", {"search": found}, viewer=viewer)


async def _load_user_page(
    request: Request,
    app_id: str,
    user_id: str,
    *,
    cursor: str | None = None,
    before: int | None = None,
) -> tuple[Viewer, dashboard_users.UserPage]:
    parsed_app, parsed_user = path_id(app_id, AppNotFound), path_id(user_id, UserNotFound)

    def load(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, dashboard_users.UserPage]:
        page = dashboard_users.user_page(
            work, viewer, parsed_app, parsed_user, timeline_cursor=cursor, events_before=before
        )
        return viewer, page

    return await as_viewer(request, load)


def _render_user(
    request: Request,
    viewer: Viewer,
    page: dashboard_users.UserPage,
    *,
    delete_error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "users/user.html",
        {
            "page": page,
            "reasons": INACTIVE_REASONS,
            "confirm_value": page.user.external_id or str(page.user.id),
            "delete_error": delete_error,
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/apps/{app_id}/users/{user_id}")
async def user_page(
    request: Request, app_id: str, user_id: str, cursor: Cursor = None, before: BeforeId = None
) -> Response:
    viewer, page = await _load_user_page(request, app_id, user_id, cursor=cursor, before=before)
    return _render_user(request, viewer, page)


@router.post("/apps/{app_id}/users/{user_id}/delete", dependencies=[Csrf])
async def erase_user(
    request: Request,
    app_id: str,
    user_id: str,
    confirmation: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    parsed_app, parsed_user = path_id(app_id, AppNotFound), path_id(user_id, UserNotFound)
    try:
        await as_viewer(
            request,
            lambda work, viewer: dashboard_users.erase(
                work, viewer, parsed_app, parsed_user, confirmation
            ),
        )
    except ConfirmationMismatch as refusal:
        # The user stays: its page again, with why, and the status of the refusal.
        viewer, page = await _load_user_page(request, app_id, user_id)
        return _render_user(
            request, viewer, page, delete_error=refusal.message, status_code=refusal.status_code
        )
    return redirect(f"{users_path(app_id)}?notice=user-deleted")


@router.post("/apps/{app_id}/installs/{install_id}/disable", dependencies=[Csrf])
async def disable_install(request: Request, app_id: str, install_id: str) -> Response:
    parsed_app, parsed_install = (
        path_id(app_id, AppNotFound),
        path_id(install_id, InstallNotFound),
    )
    install = await as_viewer(
        request,
        lambda work, viewer: dashboard_users.disable_install(
            work, viewer, parsed_app, parsed_install
        ),
    )
    return redirect(user_path(app_id, install.user_id, "install-disabled"))


@router.get("/apps/{app_id}/insight")
async def insight_page(request: Request, app_id: str) -> Response:
    parsed = path_id(app_id, AppNotFound)

    def load(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, dict[str, object]]:
        return viewer, insight_context(work, viewer, parsed)

    viewer, context = await as_viewer(request, load)
    return render(
        request, "apps/insight.html", {**context, "panel": INSIGHT_TEMPLATE}, viewer=viewer
    )
