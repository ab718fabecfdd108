"""Payload upload (SDK) and the user's timeline (server-to-server)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from pydantic_core import PydanticSerializationError, to_json

from userlink.http.credentials import API_KEY_ERRORS, AccessToken, LinkKey, ReadKey
from userlink.http.endpoints.sdk import SDK_AUTH_ERRORS
from userlink.http.envelope import BODY_ERRORS, error_responses, request_ref
from userlink.http.examples import examples
from userlink.http.middleware import require_json
from userlink.http.parameters import PAGE_SIZE, UserId
from userlink.http.responses import model_response
from userlink.http.routing import JsonRoute
from userlink.http.schemas import examples as ex
from userlink.http.schemas.common import displacement_out
from userlink.http.schemas.payloads import (
    HeldOut,
    MergeIn,
    MergeOut,
    TimelineOut,
    UploadIn,
    UploadOut,
)
from userlink.http.transactions import run, runtime_of
from userlink.installs.errors import InstallNotFound
from userlink.kit.clock import iso_utc
from userlink.kit.ids import parse_id
from userlink.payloads import service as payloads
from userlink.payloads.errors import (
    BatchTooLarge,
    DuplicatePayloadId,
    EmptyBatch,
    InvalidCursor,
    InvalidPayloadBody,
    InvalidTimeRange,
    InvalidTimestamp,
    PayloadTooLarge,
)
from userlink.payloads.rules import HeldFilter
from userlink.unit_of_work import UnitOfWork
from userlink.users.errors import UserNotFound

logger = logging.getLogger("userlink")

sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"], route_class=JsonRoute)
router = APIRouter(tags=["server-to-server"], route_class=JsonRoute)


@sdk_router.post(
    "/payloads",
    response_model=UploadOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *SDK_AUTH_ERRORS,
        *BODY_ERRORS,
        BatchTooLarge,
        PayloadTooLarge,
        DuplicatePayloadId,
        EmptyBatch,
        InvalidPayloadBody,
        InvalidTimestamp,
    ),
    openapi_extra=examples(request=ex.UPLOAD_REQUEST, response=ex.UPLOAD_RESPONSE),
    summary="Upload a batch of payloads; only the active install's are processed",
)
async def upload_payloads(request: Request, body: UploadIn, token: AccessToken) -> Response:
    # Checked and encoded here, on the event loop: the unit of work only stores.
    batch = payloads.prepare(body.payloads)
    result = await run(request, lambda work: payloads.ingest(work, token.token, batch), token.limit)
    statuses = result.statuses()
    runtime_of(request).metrics.count_payloads(statuses)
    answer: dict[str, Any] = {
        "is_remote_enabled": result.is_remote_enabled,
        "results": [
            {"id": client_id, "status": status}
            for client_id, status in zip(result.client_ids, statuses, strict=True)
        ],
    }
    shown = displacement_out(result.displacement)
    if shown is not None:
        # Only for a displaced install: the active one's answer stays as it was.
        answer["displacement"] = shown.model_dump(mode="json")
    return Response(content=to_json(answer), media_type="application/json")


@router.get(
    "/v2/users/{user_id}/timeline",
    response_model=TimelineOut,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound, InvalidCursor),
    openapi_extra=examples(response=ex.TIMELINE),
    summary="The user's timeline: processed payloads of all its installs, oldest first",
)
async def get_timeline(
    request: Request,
    user_id: UserId,
    key: ReadKey,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Opaque: a `next_cursor` this API returned (anything else is "
            "`INVALID_CURSOR`).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description=PAGE_SIZE)] = 100,
) -> Response:
    parsed = parse_id(user_id)
    page = await run(
        request,
        lambda work: payloads.timeline(work, key.authenticate(work).app_id, parsed, cursor, limit),
        key.limit,
    )
    # A page is plain data already: serialised in one pass, without a model per entry.
    items = [
        {
            "id": entry.client_id,
            "install_id": str(entry.install_id),
            "type": entry.type,
            "timestamp": iso_utc(entry.occurred_at),
            "body": entry.body,
        }
        for entry in page.entries
    ]
    try:
        content = to_json({"items": items, "next_cursor": page.next_cursor})
    except PydanticSerializationError:
        servable = [_servable(item, request) for item in items]
        content = to_json({"items": servable, "next_cursor": page.next_cursor})
    return Response(content=content, media_type="application/json")


def _held_filter(
    install_id: str | None, since: datetime | None, until: datetime | None
) -> HeldFilter:
    parsed = parse_id(install_id) if install_id is not None else None
    if install_id is not None and parsed is None:
        raise InstallNotFound("No install with this id belongs to this user.")
    return HeldFilter(install_id=parsed, since=since, until=until)


HELD_ERRORS = (*API_KEY_ERRORS, UserNotFound, InstallNotFound, InvalidTimeRange)


@router.get(
    "/v2/users/{user_id}/held-payloads",
    response_model=HeldOut,
    responses=error_responses(*HELD_ERRORS, InvalidCursor),
    openapi_extra=examples(response=ex.HELD),
    summary="Payloads the user's installs sent while inactive (displaced): held apart from the "
    "timeline, in timeline order",
)
async def get_held_payloads(
    request: Request,
    user_id: UserId,
    key: ReadKey,
    install_id: Annotated[
        str | None, Query(max_length=64, description="Only this install's held payloads.")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Only payloads that occurred at or after this.")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Only payloads that occurred before this.")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="Opaque: a `next_cursor` this route returned."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description=PAGE_SIZE)] = 100,
) -> Response:
    parsed = parse_id(user_id)
    which = _held_filter(install_id, since, until)
    page = await run(
        request,
        lambda work: payloads.held(
            work, key.authenticate(work).app_id, parsed, which, cursor, limit
        ),
        key.limit,
    )
    items = [
        {
            "id": entry.client_id,
            "install_id": str(entry.install_id),
            "type": entry.type,
            "timestamp": iso_utc(entry.occurred_at),
            "received_at": iso_utc(entry.received_at),
            "body": entry.body,
        }
        for entry in page.entries
    ]
    try:
        content = to_json({"items": items, "next_cursor": page.next_cursor})
    except PydanticSerializationError:
        servable = [_servable(item, request) for item in items]
        content = to_json({"items": servable, "next_cursor": page.next_cursor})
    return Response(content=content, media_type="application/json")


@router.post(
    "/v2/users/{user_id}/held-payloads/merge",
    response_model=MergeOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(*HELD_ERRORS, *BODY_ERRORS),
    openapi_extra=examples(request=ex.MERGE_REQUEST, response=ex.MERGE_RESPONSE),
    summary="Move held payloads (all, or of one install and a time range) into the timeline, in "
    "order; merging again merges nothing new",
)
async def merge_held_payloads(
    request: Request, user_id: UserId, body: MergeIn, key: LinkKey
) -> Response:
    parsed = parse_id(user_id)
    which = _held_filter(body.install_id, body.since, body.until)

    def merge(work: UnitOfWork) -> int:
        caller = key.authenticate(work)
        return payloads.merge_held(work, caller.app_id, parsed, which, caller.actor)

    merged = await run(request, merge, key.limit)
    return model_response(MergeOut(merged=merged))


# Served in place of a stored body the timeline cannot write as JSON (one stored before the
# upload refused it, say): the page, and every other entry of it, stays readable.
UNREADABLE_BODY = {
    "errorCode": "PAYLOAD_BODY_UNREADABLE",
    "message": "This payload's stored body cannot be served as JSON.",
}


def _servable(item: dict[str, Any], request: Request) -> dict[str, Any]:
    try:
        # At the depth it has in the page: the serializer's depth limit counts from the top.
        to_json({"items": [item]})
    except PydanticSerializationError:
        logger.warning(
            "timeline: the body of payload %s of install %s cannot be served as JSON (ref %s)",
            item["id"],
            item["install_id"],
            request_ref(request),
        )
        return {**item, "body": UNREADABLE_BODY}
    return item
