"""Server-to-server routes managing an app's webhook endpoints (scope `webhooks.manage`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from userlink.http.credentials import API_KEY_ERRORS, WebhooksKey
from userlink.http.envelope import BODY_ERRORS, error_responses
from userlink.http.examples import examples
from userlink.http.middleware import require_json
from userlink.http.parameters import PAGE_SIZE, EndpointId, MessageId
from userlink.http.responses import model_response
from userlink.http.routing import JsonRoute
from userlink.http.schemas import examples as ex
from userlink.http.schemas.webhooks import (
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointsOut,
    EndpointWithSecretOut,
    MessageOut,
    MessagesOut,
    RotateSecretIn,
)
from userlink.http.transactions import run
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.webhooks import service as webhooks
from userlink.webhooks.errors import (
    InvalidEventTypes,
    InvalidSecretOverlap,
    InvalidWebhookDescription,
    InvalidWebhookUrl,
    TooManyWebhookEndpoints,
    WebhookEndpointNotFound,
    WebhookMessageNotFound,
    WebhookMessagePending,
)
from userlink.webhooks.service import EndpointWithSecret

router = APIRouter(tags=["webhooks"], route_class=JsonRoute)

INPUT_ERRORS = (InvalidWebhookUrl, InvalidEventTypes, InvalidWebhookDescription)


def with_secret(created: EndpointWithSecret, status_code: int = 200) -> Response:
    out = EndpointOut.of(created.endpoint)
    return model_response(
        EndpointWithSecretOut(**out.model_dump(), secret=created.secret), status_code
    )


@router.post(
    "/v2/webhooks",
    status_code=201,
    response_model=EndpointWithSecretOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS, *BODY_ERRORS, *INPUT_ERRORS, TooManyWebhookEndpoints
    ),
    openapi_extra=examples(
        request=ex.ENDPOINT_REQUEST, response=ex.ENDPOINT_WITH_SECRET, status=201
    ),
    summary="Create a webhook endpoint; the answer holds its signing secret, shown once",
)
async def create_endpoint(request: Request, body: EndpointIn, key: WebhooksKey) -> Response:
    created = await run(
        request,
        lambda work: webhooks.create_endpoint(
            work,
            key.authenticate(work).app_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            enabled=body.enabled,
        ),
        key.limit,
    )
    return with_secret(created, 201)


@router.get(
    "/v2/webhooks",
    response_model=EndpointsOut,
    responses=error_responses(*API_KEY_ERRORS),
    openapi_extra=examples(response=ex.ENDPOINTS),
    summary="The app's webhook endpoints",
)
async def list_endpoints(request: Request, key: WebhooksKey) -> Response:
    found = await run(
        request,
        lambda work: webhooks.list_endpoints(work, key.authenticate(work).app_id),
        key.limit,
    )
    return model_response(EndpointsOut(endpoints=[EndpointOut.of(e) for e in found]))


@router.get(
    "/v2/webhooks/{endpoint_id}",
    response_model=EndpointOut,
    responses=error_responses(*API_KEY_ERRORS, WebhookEndpointNotFound),
    openapi_extra=examples(response=ex.ENDPOINT),
    summary="A webhook endpoint",
)
async def get_endpoint(request: Request, endpoint_id: EndpointId, key: WebhooksKey) -> Response:
    parsed = parse_id(endpoint_id)
    found = await run(
        request,
        lambda work: webhooks.get_endpoint(work, key.authenticate(work).app_id, parsed),
        key.limit,
    )
    return model_response(EndpointOut.of(found))


@router.patch(
    "/v2/webhooks/{endpoint_id}",
    response_model=EndpointOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS, *BODY_ERRORS, *INPUT_ERRORS, WebhookEndpointNotFound
    ),
    openapi_extra=examples(request=ex.ENDPOINT_PATCH, response={**ex.ENDPOINT, "enabled": False}),
    summary="Change a webhook endpoint's URL, event types, description or enabled flag",
)
async def update_endpoint(
    request: Request, endpoint_id: EndpointId, body: EndpointPatch, key: WebhooksKey
) -> Response:
    parsed = parse_id(endpoint_id)
    changes: dict[str, object] = {
        name: getattr(body, name)
        for name in ("url", "description", "enabled")
        if getattr(body, name) is not None
    }
    if "event_types" in body.model_fields_set:
        changes["event_types"] = body.event_types

    def update(work: UnitOfWork) -> webhooks.Endpoint:
        app_id = key.authenticate(work).app_id
        return webhooks.update_endpoint(work, app_id, parsed, **changes)  # type: ignore[arg-type]

    found = await run(request, update, key.limit)
    return model_response(EndpointOut.of(found))


@router.delete(
    "/v2/webhooks/{endpoint_id}",
    status_code=204,
    responses=error_responses(*API_KEY_ERRORS, WebhookEndpointNotFound),
    summary="Delete a webhook endpoint and its messages",
)
async def delete_endpoint(request: Request, endpoint_id: EndpointId, key: WebhooksKey) -> Response:
    parsed = parse_id(endpoint_id)
    await run(
        request,
        lambda work: webhooks.delete_endpoint(work, key.authenticate(work).app_id, parsed),
        key.limit,
    )
    return Response(status_code=204)


@router.post(
    "/v2/webhooks/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecretOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS, *BODY_ERRORS, InvalidSecretOverlap, WebhookEndpointNotFound
    ),
    openapi_extra=examples(request=ex.ROTATE_REQUEST, response=ex.ROTATED),
    summary="A new signing secret (shown once); the previous one signs too during the overlap",
)
async def rotate_secret(
    request: Request, endpoint_id: EndpointId, body: RotateSecretIn, key: WebhooksKey
) -> Response:
    parsed = parse_id(endpoint_id)
    rotated = await run(
        request,
        lambda work: webhooks.rotate_secret(
            work,
            key.authenticate(work).app_id,
            parsed,
            body.overlap_hours,
        ),
        key.limit,
    )
    return with_secret(rotated)


@router.get(
    "/v2/webhooks/{endpoint_id}/messages",
    response_model=MessagesOut,
    responses=error_responses(*API_KEY_ERRORS, WebhookEndpointNotFound),
    openapi_extra=examples(response=ex.MESSAGES),
    summary="An endpoint's messages, newest first; `status=dead` lists its dead letters",
)
async def list_messages(
    request: Request,
    endpoint_id: EndpointId,
    key: WebhooksKey,
    status: Annotated[
        Literal["pending", "delivered", "dead"] | None,
        Query(description="Only messages in this state (`dead`: the dead letters)."),
    ] = None,
    before: Annotated[int | None, Query(ge=0, description="A `next_before` from a page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description=PAGE_SIZE)] = 50,
) -> Response:
    parsed = parse_id(endpoint_id)
    found = await run(
        request,
        lambda work: webhooks.list_messages(
            work, key.authenticate(work).app_id, parsed, status=status, before=before, limit=limit
        ),
        key.limit,
    )
    return model_response(
        MessagesOut(
            messages=[MessageOut.of(m) for m in found],
            next_before=found[-1].serial if len(found) == limit else None,
        )
    )


@router.post(
    "/v2/webhooks/{endpoint_id}/messages/{message_id}/redeliver",
    response_model=MessageOut,
    responses=error_responses(
        *API_KEY_ERRORS, WebhookEndpointNotFound, WebhookMessageNotFound, WebhookMessagePending
    ),
    openapi_extra=examples(response=ex.MESSAGE),
    summary="Send a delivered message or a dead letter again (same id and body)",
)
async def redeliver(
    request: Request, endpoint_id: EndpointId, message_id: MessageId, key: WebhooksKey
) -> Response:
    parsed = parse_id(endpoint_id)
    message = await run(
        request,
        lambda work: webhooks.redeliver(work, key.authenticate(work).app_id, parsed, message_id),
        key.limit,
    )
    return model_response(MessageOut.of(message))


@router.post(
    "/v2/webhooks/{endpoint_id}/test",
    status_code=202,
    response_model=MessageOut,
    responses=error_responses(*API_KEY_ERRORS, WebhookEndpointNotFound),
    openapi_extra=examples(response=ex.TEST_MESSAGE, status=202),
    summary="Queue a `webhook.test` message to this endpoint",
)
async def send_test(request: Request, endpoint_id: EndpointId, key: WebhooksKey) -> Response:
    parsed = parse_id(endpoint_id)
    message = await run(
        request,
        lambda work: webhooks.send_test(work, key.authenticate(work).app_id, parsed),
        key.limit,
    )
    return model_response(MessageOut.of(message), 202)
