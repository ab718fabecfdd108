"""Platform users: one per external id per app, enforced by the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.auth_codes.repository import AuthCodeRepository
from userlink.auth_codes.rules import normalise_external_id
from userlink.installs import service as installs
from userlink.installs.service import Install
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.users.errors import ConcurrentChange, UserNotFound
from userlink.users.repository import UserRepository
from userlink.work import Work


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    app_id: uuid.UUID
    external_id: str | None
    created_at: datetime
    linked_at: datetime | None
    established_at: datetime | None

    @property
    def is_linked(self) -> bool:
        return self.external_id is not None

    @classmethod
    def from_row(cls, row: RowMapping) -> User:
        return cls(
            id=row["id"],
            app_id=row["app_id"],
            external_id=row["external_id"],
            created_at=as_utc(row["created_at"]),
            linked_at=as_utc(row["linked_at"]) if row["linked_at"] else None,
            established_at=as_utc(row["established_at"]) if row["established_at"] else None,
        )


def get_or_create_linked(work: Work, app_id: uuid.UUID, external_id: str) -> tuple[User, bool]:
    """The user of this external id, and whether it existed already (a restore).

    Under concurrency the unique constraint decides: the loser of two simultaneous creations
    finds and restores the winner's user.
    """
    repository = UserRepository(work.connection)
    existing = repository.find_by_external_id(app_id, external_id)
    if existing is None:
        user_id = new_id()
        if repository.insert_if_absent(
            user_id=user_id, app_id=app_id, external_id=external_id, now=work.clock.now()
        ):
            row = repository.lock(user_id)
            assert row is not None
            return User.from_row(row), False
        existing = repository.find_by_external_id(app_id, external_id)
        assert existing is not None, "the unique constraint refused, so the row exists"
    row = repository.lock(existing["id"])
    if row is None:
        raise ConcurrentChange()
    return User.from_row(row), True


def create_provisional(work: Work, app_id: uuid.UUID) -> User:
    """A legacy install's user before its linker ran: unlinked and not established yet."""
    repository = UserRepository(work.connection)
    user_id = new_id()
    repository.insert_if_absent(
        user_id=user_id, app_id=app_id, external_id=None, now=work.clock.now(), established=False
    )
    row = repository.lock(user_id)
    assert row is not None
    return User.from_row(row)


def lock(work: Work, user_id: uuid.UUID) -> User | None:
    row = UserRepository(work.connection).lock(user_id)
    return User.from_row(row) if row is not None else None


def get_in_app(work: Work, app_id: uuid.UUID, user_id: uuid.UUID | None) -> User:
    row = UserRepository(work.connection).get(user_id) if user_id is not None else None
    if row is None or row["app_id"] != app_id:
        raise UserNotFound()
    return User.from_row(row)


def find_by_external_id(work: Work, app_id: uuid.UUID, external_id: str) -> User:
    row = UserRepository(work.connection).find_by_external_id(app_id, external_id)
    if row is None:
        raise UserNotFound("No user with this external id for this app.")
    return User.from_row(row)


def lock_shared(work: Work, user_id: uuid.UUID) -> None:
    UserRepository(work.connection).lock_shared(user_id)


@dataclass(frozen=True)
class UserRecord:
    user: User
    installs: list[Install]


def record(work: Work, app_id: uuid.UUID, user_id: uuid.UUID | None) -> UserRecord:
    user = get_in_app(work, app_id, user_id)
    return UserRecord(user=user, installs=installs.installs_of(work, user.id))


def record_by_external_id(work: Work, app_id: uuid.UUID, raw_external_id: str) -> UserRecord:
    external_id = normalise_external_id(raw_external_id)
    if external_id is None:
        raise UserNotFound("No user with this external id for this app.")
    user = find_by_external_id(work, app_id, external_id)
    return UserRecord(user=user, installs=installs.installs_of(work, user.id))


def delete(work: Work, app_id: uuid.UUID, user_id: uuid.UUID | None, actor: str) -> None:
    """Erasure: the user, its installs, their credentials and payloads, and its pending codes.
    Credentials stop working at once because their rows are gone."""
    user = get_in_app(work, app_id, user_id)
    UserRepository(work.connection).lock(user.id)
    if user.external_id is not None:
        AuthCodeRepository(work.connection).delete_for_external_id(app_id, user.external_id)
    UserRepository(work.connection).delete(user.id)
    work.audit.record(AuditEvent.USER_DELETED, app_id=app_id, actor=actor, user_id=user.id)
