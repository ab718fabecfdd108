"""Server-to-server routes about users: the record, lookup, erasure, and legacy linking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from userlink.auth_codes.errors import InvalidExternalId
from userlink.dependencies import API_KEY_ERRORS, DeleteCaller, LinkCaller, ReadCaller, WorkDep
from userlink.errors import InvalidJson, UnsupportedMediaType
from userlink.installs.errors import (
    InstallDeleted,
    InstallDisabled,
    InstallDoesNotBelongToApp,
    InstallNotFound,
)
from userlink.kit.ids import parse_id
from userlink.links import service as links
from userlink.links.errors import (
    CannotLinkExistingPersonToOtherPerson,
    InstallLinkedToOtherUser,
    UserlinkingNotConfigured,
)
from userlink.users import service
from userlink.users.errors import UserNotFound
from userlink.users.schemas import InstallOut, LinkRequest, LinkResponse, UserOut
from userlink.web import error_responses, require_json

router = APIRouter(tags=["server-to-server"])


def user_out(user_record: service.UserRecord) -> UserOut:
    user = user_record.user
    return UserOut(
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
            for i in user_record.installs
        ],
    )


@router.post(
    "/v2/users/{install_id}/link",
    response_model=LinkResponse,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *API_KEY_ERRORS,
        InvalidJson,
        UnsupportedMediaType,
        InvalidExternalId,
        InstallNotFound,
        InstallDoesNotBelongToApp,
        InstallDisabled,
        InstallDeleted,
        InstallLinkedToOtherUser,
        CannotLinkExistingPersonToOtherPerson,
        UserlinkingNotConfigured,
    ),
    summary="Link an install id (from the SDK's linker) to one of your users",
)
def link_install(
    install_id: str, body: LinkRequest, caller: LinkCaller, work: WorkDep
) -> LinkResponse:
    user_id = links.link_install(work, caller, parse_id(install_id), body.external_id)
    return LinkResponse(id=str(user_id))


@router.get(
    "/v2/users",
    response_model=UserOut,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound),
    summary="Look a user up by your external id",
)
def find_user(
    external_id: Annotated[str, Query(min_length=1, max_length=1024)],
    caller: ReadCaller,
    work: WorkDep,
) -> UserOut:
    return user_out(service.record_by_external_id(work, caller.app_id, external_id))


@router.get(
    "/v2/users/{user_id}",
    response_model=UserOut,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound),
    summary="A user with its installs: device class, active flag and why an install is inactive",
)
def get_user(user_id: str, caller: ReadCaller, work: WorkDep) -> UserOut:
    return user_out(service.record(work, caller.app_id, parse_id(user_id)))


@router.delete(
    "/users/{user_id}",
    status_code=204,
    responses=error_responses(*API_KEY_ERRORS, UserNotFound),
    summary="Erase a user: its installs, links, credentials and payloads",
)
def delete_user(user_id: str, caller: DeleteCaller, work: WorkDep) -> Response:
    service.delete(work, caller.app_id, parse_id(user_id), caller.actor)
    return Response(status_code=204)
