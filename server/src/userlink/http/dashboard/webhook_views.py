"""An app's webhooks page: its endpoints, their latest messages and dead letters; adding an
endpoint (its signing secret shown once, on the page answering the POST), enabling, disabling,
rotating the secret, sending a test message, redelivering a message, deleting an endpoint.

Seeing the page takes the READ permission; changing anything MANAGE_KEYS (a signing secret is
a credential like a key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from userlink.accounts.rules import Permission
from userlink.apps.errors import AppNotFound
from userlink.apps.service import App
from userlink.errors import UserlinkError
from userlink.http.dashboard.web import (
    PREFIX,
    DashboardRoute,
    as_viewer,
    check_csrf,
    path_id,
    redirect,
    render,
)
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.dashboard_access import Viewer, app_for
from userlink.webhooks import service as webhooks
from userlink.webhooks.errors import (
    InvalidEventTypes,
    InvalidSecretOverlap,
    InvalidWebhookDescription,
    InvalidWebhookUrl,
    TooManyWebhookEndpoints,
    WebhookEndpointNotFound,
    WebhookMessagePending,
)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
Csrf = Depends(check_csrf)
FormText = Annotated[str, Form(max_length=4096)]
MESSAGES_SHOWN = 10
OVERLAP_CHOICES = ((0, "none"), (1, "1 hour"), (24, "24 hours"), (168, "7 days"))


@dataclass(frozen=True)
class EndpointView:
    endpoint: webhooks.Endpoint
    messages: list[webhooks.Message]
    dead: list[webhooks.Message]


@dataclass(frozen=True)
class WebhooksPage:
    app: App
    endpoints: list[EndpointView]
    event_types: list[str]
    may_manage: bool


def _page(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID) -> WebhooksPage:
    app = app_for(work, viewer, app_id, Permission.READ)
    views = [
        EndpointView(
            endpoint,
            webhooks.list_messages(work, app.id, endpoint.id, limit=MESSAGES_SHOWN),
            webhooks.list_messages(work, app.id, endpoint.id, status="dead", limit=MESSAGES_SHOWN),
        )
        for endpoint in webhooks.list_endpoints(work, app.id)
    ]
    return WebhooksPage(
        app=app,
        endpoints=views,
        event_types=sorted(webhooks.KNOWN_EVENT_TYPES),
        may_manage=viewer.may(Permission.MANAGE_KEYS, app.organisation_id),
    )


def webhooks_path(app_id: uuid.UUID) -> str:
    return f"{PREFIX}/apps/{app_id}/webhooks"


async def _render_page(
    request: Request,
    app_id: uuid.UUID,
    *,
    error: UserlinkError | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    viewer, page = await as_viewer(
        request, lambda work, viewer: (viewer, _page(work, viewer, app_id))
    )
    context = {
        "page": page,
        "app": page.app,
        "typed": typed or {},
        "overlap_choices": OVERLAP_CHOICES,
        "error": error.message if error else None,
    }
    status_code = error.status_code if error else 200
    return render(request, "apps/webhooks.html", context, status_code=status_code, viewer=viewer)


@router.get("/apps/{app_id}/webhooks")
async def webhooks_page(request: Request, app_id: str) -> Response:
    return await _render_page(request, path_id(app_id, AppNotFound))


@router.post("/apps/{app_id}/webhooks", dependencies=[Csrf])
async def create_endpoint(
    request: Request,
    app_id: str,
    url: FormText = "",
    description: FormText = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)

    def create(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, webhooks.EndpointWithSecret]:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        created = webhooks.create_endpoint(
            work, app.id, url=url, event_types=event_types or None, description=description
        )
        return viewer, created

    try:
        viewer, created = await as_viewer(request, create)
    except (
        InvalidWebhookUrl,
        InvalidEventTypes,
        InvalidWebhookDescription,
        TooManyWebhookEndpoints,
    ) as error:
        typed = {"url": url, "description": description, "event_types": event_types or []}
        return await _render_page(request, parsed_app_id, error=error, typed=typed)
    context = {"app_id": parsed_app_id, "created": created, "rotated": False}
    return render(request, "apps/webhook_secret.html", context, viewer=viewer)


@router.post("/apps/{app_id}/webhooks/{endpoint_id}/rotate-secret", dependencies=[Csrf])
async def rotate_secret(
    request: Request, app_id: str, endpoint_id: str, overlap_hours: FormText = ""
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)
    parsed_endpoint_id = path_id(endpoint_id, WebhookEndpointNotFound)

    def rotate(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, webhooks.EndpointWithSecret]:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        hours = int(overlap_hours) if overlap_hours.strip().isdigit() else -1
        return viewer, webhooks.rotate_secret(work, app.id, parsed_endpoint_id, hours)

    try:
        viewer, rotated = await as_viewer(request, rotate)
    except InvalidSecretOverlap as error:
        return await _render_page(request, parsed_app_id, error=error)
    context = {"app_id": parsed_app_id, "created": rotated, "rotated": True}
    return render(request, "apps/webhook_secret.html", context, viewer=viewer)


async def _act(
    request: Request, app_id: str, endpoint_id: str, action: str, message_id: str | None = None
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)
    parsed_endpoint_id = path_id(endpoint_id, WebhookEndpointNotFound)

    def act(work: UnitOfWork, viewer: Viewer) -> None:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        if action == "enable" or action == "disable":
            webhooks.update_endpoint(work, app.id, parsed_endpoint_id, enabled=action == "enable")
        elif action == "test":
            webhooks.send_test(work, app.id, parsed_endpoint_id)
        elif action == "delete":
            webhooks.delete_endpoint(work, app.id, parsed_endpoint_id)
        elif message_id is not None:
            webhooks.redeliver(work, app.id, parsed_endpoint_id, message_id)

    try:
        await as_viewer(request, act)
    except WebhookMessagePending as error:
        return await _render_page(request, parsed_app_id, error=error)
    return redirect(f"{webhooks_path(parsed_app_id)}?notice=webhook-{action}")


@router.post("/apps/{app_id}/webhooks/{endpoint_id}/enable", dependencies=[Csrf])
async def enable(request: Request, app_id: str, endpoint_id: str) -> Response:
    return await _act(request, app_id, endpoint_id, "enable")


@router.post("/apps/{app_id}/webhooks/{endpoint_id}/disable", dependencies=[Csrf])
async def disable(request: Request, app_id: str, endpoint_id: str) -> Response:
    return await _act(request, app_id, endpoint_id, "disable")


@router.post("/apps/{app_id}/webhooks/{endpoint_id}/test", dependencies=[Csrf])
async def send_test(request: Request, app_id: str, endpoint_id: str) -> Response:
    return await _act(request, app_id, endpoint_id, "test")


@router.post("/apps/{app_id}/webhooks/{endpoint_id}/delete", dependencies=[Csrf])
async def delete(request: Request, app_id: str, endpoint_id: str) -> Response:
    return await _act(request, app_id, endpoint_id, "delete")


@router.post(
    "/apps/{app_id}/webhooks/{endpoint_id}/messages/{message_id}/redeliver",
    dependencies=[Csrf],
)
async def redeliver(request: Request, app_id: str, endpoint_id: str, message_id: str) -> Response:
    return await _act(request, app_id, endpoint_id, "redeliver", message_id)
