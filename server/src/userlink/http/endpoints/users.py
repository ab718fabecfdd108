"""Server-to-server routes about users: the record, lookup by external id, erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from userlink.http import idempotency
from userlink.http.credentials import API_KEY_ERRORS, DeleteKey, ReadKey
from userlink.http.envelope import error_responses
from userlink.http.responses import model_response
from userlink.http.schemas.users import InstallOut, UserOut
from userlink.http.transactions import run
from userlink.kit.ids import parse_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import erasure, user_record
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
    summary="Look a user up by your external id",
)
async def find_user(
    request: Request,
    external_id: Annotated[str, Query(min_length=1, max_length=1024)],
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
    summary="A user with its installs: device class, active flag and why an install is inactive",
)
async def get_user(request: Request, user_id: str, key: ReadKey) -> Response:
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
async def delete_user(request: Request, user_id: str, key: DeleteKey) -> Response:
    parsed = parse_id(user_id)
    once = idempotency.once(request)

    def erase(work: UnitOfWork) -> Response:
        caller = key.authenticate(work)

        def execute() -> Response:
            erasure.erase_user(work, caller.app_id, parsed, caller.actor)
            return Response(status_code=204)

        return once(work, caller.app_id, execute)

    return await run(request, erase, key.limit)
