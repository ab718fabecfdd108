"""A user with its installs, as the customer's backend reads it (`GET /v2/users/…`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from userlink.auth_codes.rules import normalise_external_id
from userlink.installs import service as installs
from userlink.installs.service import Install
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users
from userlink.users.errors import UserNotFound
from userlink.users.service import User


@dataclass(frozen=True)
class UserRecord:
    user: User
    installs: list[Install]


def by_id(work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None) -> UserRecord:
    user = users.get_in_app(work, app_id, user_id)
    return UserRecord(user=user, installs=installs.installs_of(work, user.id))


def by_external_id(work: UnitOfWork, app_id: uuid.UUID, raw_external_id: str) -> UserRecord:
    external_id = normalise_external_id(raw_external_id)
    if external_id is None:
        raise UserNotFound("No user with this external id for this app.")
    user = users.find_by_external_id(work, app_id, external_id)
    return UserRecord(user=user, installs=installs.installs_of(work, user.id))
