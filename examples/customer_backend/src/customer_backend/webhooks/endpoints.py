"""The route the platform delivers webhooks to (register its URL with `POST /v2/webhooks`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from customer_backend.dependencies import BackendDep
from customer_backend.web import error_responses
from customer_backend.webhooks.errors import InvalidWebhook, WebhooksNotConfigured

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks/userlink",
    status_code=204,
    responses=error_responses(InvalidWebhook, WebhooksNotConfigured),
    summary="Receive a signed userlink webhook (Standard Webhooks headers)",
    description="Verified with the endpoint's signing secret, recorded once per `webhook-id`; "
    "`install.displaced` becomes a notice for the displaced user.",
)
async def receive(request: Request, backend: BackendDep) -> Response:
    body = await request.body()
    backend.webhooks.receive(body, dict(request.headers))
    return Response(status_code=204)
