"""Platform users: one per external id per app, enforced by the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.users.repository import UserRepository
from userlink.work import Work


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    app_id: uuid.UUID
    external_id: str | None
    created_at: datetime
    linked_at: datetime | None

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
    assert row is not None
    return User.from_row(row), True


def create_unlinked(work: Work, app_id: uuid.UUID) -> User:
    repository = UserRepository(work.connection)
    user_id = new_id()
    repository.insert_if_absent(
        user_id=user_id, app_id=app_id, external_id=None, now=work.clock.now()
    )
    row = repository.lock(user_id)
    assert row is not None
    return User.from_row(row)


def lock(work: Work, user_id: uuid.UUID) -> User | None:
    row = UserRepository(work.connection).lock(user_id)
    return User.from_row(row) if row is not None else None
