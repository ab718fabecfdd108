from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from userlink.dependencies import API_KEY_ERRORS, ReadCaller, SdkCallerDep, WorkDep
from userlink.errors import InvalidJson, UnsupportedMediaType
from userlink.installs.endpoints import SDK_AUTH_ERRORS
from userlink.kit.ids import parse_id
from userlink.payloads import service
from userlink.payloads.errors import (
    BatchTooLarge,
    DuplicatePayloadId,
    EmptyBatch,
    InvalidCursor,
    PayloadTooLarge,
)
from userlink.payloads.schemas import (
    PayloadResultOut,
    TimelineEntryOut,
    TimelineOut,
    UploadIn,
    UploadOut,
)
from userlink.users.errors import UserNotFound
from userlink.web import error_responses, require_json

sdk_router = APIRouter(prefix="/sdk/v1", tags=["sdk"])
router = APIRouter(tags=["server-to-server"])


@sdk_router.post(
    "/payloads",
    response_model=UploadOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *SDK_AUTH_ERRORS,
        BatchTooLarge,
        PayloadTooLarge,
        DuplicatePayloadId,
        EmptyBatch,
        InvalidJson,
        UnsupportedMediaType,
    ),
    summary="Upload a batch of payloads; only the active install's are processed",
)
def upload_payloads(body: UploadIn, caller: SdkCallerDep, work: WorkDep) -> UploadOut:
    result = service.ingest(
        work,
        caller,
        [
            service.IncomingPayload(
                client_id=p.id, type=p.type, occurred_at=p.timestamp, body=p.body
            )
            for p in body.payloads
        ],
    )
    return UploadOut(
        is_remote_enabled=result.is_remote_enabled,
        results=[PayloadResultOut(id=r.client_id, status=r.status) for r in result.results],
    )


@router.get(
    "/v2/users/{user_id}/timeline",
    response_model=TimelineOut,
    responses=error_responses(
        *API_KEY_ERRORS,
        UserNotFound,
        InvalidCursor,
    ),
    summary="The user's timeline: processed payloads of all its installs, oldest first",
)
def get_timeline(
    user_id: str,
    caller: ReadCaller,
    work: WorkDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TimelineOut:
    page = service.timeline(work, caller.app_id, parse_id(user_id), cursor, limit)
    return TimelineOut(
        items=[
            TimelineEntryOut(
                id=e.client_id,
                install_id=str(e.install_id),
                type=e.type,
                timestamp=e.occurred_at,
                body=e.body,
            )
            for e in page.entries
        ],
        next_cursor=page.next_cursor,
    )
