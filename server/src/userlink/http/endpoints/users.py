"""Server-to-server routes about users: the record, lookup by external id, erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic_core import to_json

from userlink.audit.errors import (
    EventAlreadyUndone,
    InvalidEventCursor,
    InvalidEventType,
    InvalidTimeFilter,
)
from userlink.audit.rules import MAX_EVENT_ID
from userlink.audit.service import RecordedEvent
from userlink.http import idempotency
from userlink.http.credentials import API_KEY_ERRORS, AdminKey, DeleteKey, ReadKey
from userlink.http.envelope import error_responses
from userlink.http.examples import examples
from userlink.http.parameters import PAGE_SIZE, EventId, UserId
from userlink.http.responses import model_response
from userlink.http.schemas import examples as ex
from userlink.http.schemas.users import EventsOut, InstallOut, UndoOut, UserOut
from userlink.http.transactions import run
from userlink.idempotency.errors import IdempotencyKeyInvalid
from userlink.kit.clock import iso_utc
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import erasure, identity_ledger, undo, user_record
from userlink.usecases.errors import (
    EventNotFound,
    EventNotUndoable,
    UndoBlockedByLaterEvents,
    UndoWindowPassed,
)
from userlink.usecases.user_record import UserRecord
from userlink.users.errors import UserNotFound

router = APIRouter(tags=["server-to-server"])


def user_out(record: UserRecord) -> Response:
    user = record.user
    return model_response(
        UserOut(
            id=str(user.id),
            external_id=user.external_id,
            created_at=user.created_at,
            linked_at=user.linked_at,
            installs=[
                InstallOut(
                    id=str(i.id),
                    platform=i.platform,
                    device_class=i.device_class.value,
                    model=i.model,
                    created_at=i.created_at,
                    status=i.status,
                    is_active=i.is_active,
                    inactive_reason=i.inactive_reason,
                )
                for i in record.installs
            ],
        )
    )


@router.get(
    "/v2/users",
    response_model=UserOut,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound),
    openapi_extra=examples(response=ex.USER),
    summary="Look a user up by your external id",
)
async def find_user(
    request: Request,
    external_id: Annotated[
        str, Query(min_length=1, max_length=1024, description="Your id of the user.")
    ],
    key: ReadKey,
) -> Response:
    record = await run(
        request,
        lambda work: user_record.by_external_id(work, key.authenticate(work).app_id, external_id),
        key.limit,
    )
    return user_out(record)


@router.get(
    "/v2/users/{user_id}",
    response_model=UserOut,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound),
    openapi_extra=examples(response=ex.USER),
    summary="A user with its installs: device class, active flag and why an install is inactive",
)
async def get_user(request: Request, user_id: UserId, key: ReadKey) -> Response:
    parsed = parse_id(user_id)
    record = await run(
        request,
        lambda work: user_record.by_id(work, key.authenticate(work).app_id, parsed),
        key.limit,
    )
    return user_out(record)


@router.delete(
    "/users/{user_id}",
    status_code=204,
    responses=error_responses(*API_KEY_ERRORS, *idempotency.ERRORS, UserNotFound),
    openapi_extra=idempotency.OPENAPI,
    summary="Erase a user: its installs, links, credentials and payloads",
)
async def delete_user(request: Request, user_id: UserId, key: DeleteKey) -> Response:
    parsed = parse_id(user_id)
    once = idempotency.once(request)

    def erase(work: UnitOfWork) -> Response:
        caller = key.authenticate(work)

        def execute() -> Response:
            erasure.erase_user(work, caller.app_id, parsed, caller.actor)
            return Response(status_code=204)

        return once(work, caller.app_id, execute)

    return await run(request, erase, key.limit)


@router.get(
    "/v2/users/{user_id}/events",
    response_model=EventsOut,
    responses=error_responses(
        *API_KEY_ERRORS, UserNotFound, InvalidEventCursor, InvalidEventType, InvalidTimeFilter
    ),
    openapi_extra=examples(response=ex.EVENTS),
    summary="The user's identity events (the ledger), newest first, by type and time",
)
async def get_user_events(
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
    limit: Annotated[int, Query(ge=1, le=500, description=PAGE_SIZE)] = 100,
    type: Annotated[
        list[str] | None,
        Query(
            max_length=64,
            description="Only events of these types: repeat the parameter or separate with "
            "commas (`user.restored,user.linked`).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        Query(max_length=64, description="ISO 8601: events at or after this moment."),
    ] = None,
    until: Annotated[
        str | None,
        Query(max_length=64, description="ISO 8601: events before this moment."),
    ] = None,
) -> Response:
    parsed = parse_id(user_id)
    types = type or []
    page = await run(
        request,
        lambda work: identity_ledger.events_of_user(
            work,
            key.authenticate(work).app_id,
            parsed,
            cursor=cursor,
            limit=limit,
            types=types,
            since=since,
            until=until,
        ),
        key.limit,
    )
    items = [event_out(event) for event in page.events]
    return Response(
        content=to_json({"items": items, "next_cursor": page.next_cursor}),
        media_type="application/json",
    )


def event_out(event: RecordedEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.event,
        "occurred_at": iso_utc(event.occurred_at),
        "user_id": str(event.user_id) if event.user_id else None,
        "install_id": str(event.install_id) if event.install_id else None,
        "actor": event.actor,
        "details": event.details,
        "undoes_event_id": str(event.undoes_event_id) if event.undoes_event_id else None,
    }


@router.post(
    "/v2/users/{user_id}/events/{event_id}/undo",
    response_model=UndoOut,
    responses=error_responses(
        *API_KEY_ERRORS,
        UserNotFound,
        EventNotFound,
        EventNotUndoable,
        EventAlreadyUndone,
        UndoWindowPassed,
        UndoBlockedByLaterEvents,
        IdempotencyKeyInvalid,
    ),
    openapi_extra=examples(response=ex.UNDO),
    summary="Undo a restore or a link within the app's window: the install returns to its "
    "previous user with its payloads",
)
async def undo_event(
    request: Request,
    user_id: UserId,
    event_id: EventId,
    key: AdminKey,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Optional: a retry with the same key answers the first undo's result "
            "(`replayed: true`) instead of 409 `EVENT_ALREADY_UNDONE`.",
        ),
    ] = None,
) -> Response:
    parsed = parse_id(user_id)
    parsed_event = int(event_id) if event_id.isascii() and event_id.isdigit() else None
    if parsed_event is not None and not 1 <= parsed_event <= MAX_EVENT_ID:
        parsed_event = None
    valid_key = undo.valid_idempotency_key(idempotency_key)
    done = await run(
        request,
        lambda work: undo.undo(
            work, key.authenticate(work), parsed, parsed_event, idempotency_key=valid_key
        ),
        key.limit,
    )
    return model_response(
        UndoOut(
            undo_event_id=str(done.undo_event_id),
            undone_event_id=str(done.undone_event_id),
            undone_type=done.undone_type,
            user_id=str(done.user_id),
            install_id=str(done.install_id) if done.install_id else None,
            install_user_id=str(done.install_user_id) if done.install_user_id else None,
            replayed=done.replayed,
        )
    )
