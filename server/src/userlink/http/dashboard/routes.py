"""Assembly of the dashboard: its routers and its static files, mounted under /dashboard/."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from userlink.http.dashboard import (
    app_views,
    auth_views,
    member_views,
    user_views,
    webhook_views,
)
from userlink.http.dashboard.web import HERE, PREFIX, build_templates


def mount_dashboard(app: FastAPI) -> None:
    app.state.dashboard_templates = build_templates()
    app.state.login_gate = auth_views.LoginGate()
    app.include_router(auth_views.router)
    app.include_router(app_views.router)
    app.include_router(member_views.router)
    app.include_router(user_views.router)
    app.include_router(webhook_views.router)
    app.mount(
        f"{PREFIX}/static", StaticFiles(directory=str(HERE / "static")), name="dashboard-static"
    )
