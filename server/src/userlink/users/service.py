"""Platform users: one per external id per app, enforced by the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork
from userlink.users.errors import ExternalIdVelocityExceeded, UserNotFound
from userlink.users.repository import UserRepository


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


def get_or_create_linked(
    work: UnitOfWork, app_id: uuid.UUID, external_id: str
) -> tuple[User, bool]:
    """The user of this external id, locked, and whether it existed already (a restore).

    One upsert: under concurrency the unique constraint decides, and the loser of two
    simultaneous creations gets the winner's user back, locked, as a restore.
    """
    proposed = new_id()
    row = UserRepository(work.connection).upsert_linked(
        user_id=proposed, app_id=app_id, external_id=external_id, now=work.clock.now()
    )
    return User.from_row(row), row["id"] != proposed


# The limiter's bucket of restores; its identity is the app and a keyed hash of the external id
# (storage keys are readable by whoever reads the storage: never the id itself).
RESTORES_BUCKET = "restores_per_external_id"


def count_restore(work: UnitOfWork, user: User) -> int | None:
    """Count one restore of this linked user on another install against the velocity limit
    (`rate_limit_restores_per_external_id`, per app and external id): None when within it, else
    the seconds until one more would be. A refused restore is not counted."""
    assert user.external_id is not None, "only a linked user is restored"
    return work.rate_limiter.hit(
        work.settings.rate_limit_restores_per_external_id,
        RESTORES_BUCKET,
        str(user.app_id),
        # Prefixed: the same keyed hash serves codes and tokens, and this is neither.
        work.hasher.hash(f"external_id:{user.external_id}"),
    )


def refuse_restore(
    work: UnitOfWork, user: User, *, retry_after: int, via: str, actor: str | None = None
) -> ExternalIdVelocityExceeded:
    """The identity event of a restore refused by the velocity limit (it outlives the refusal,
    and the customer sees it on the user's page), and the refusal to raise."""
    work.audit.record(
        AuditEvent.EXTERNAL_ID_VELOCITY_EXCEEDED,
        app_id=user.app_id,
        actor=actor,
        user_id=user.id,
        via=via,
        limit=work.settings.rate_limit_restores_per_external_id,
        retry_after_seconds=retry_after,
    )
    return ExternalIdVelocityExceeded(retry_after=retry_after)


def create_provisional(work: UnitOfWork, app_id: uuid.UUID) -> User:
    """A legacy install's user before its linker ran: unlinked and not established yet."""
    now = work.clock.now()
    user = User(
        id=new_id(),
        app_id=app_id,
        external_id=None,
        created_at=now,
        linked_at=None,
        established_at=None,
    )
    UserRepository(work.connection).insert(
        id=user.id,
        app_id=app_id,
        external_id=None,
        created_at=now,
        linked_at=None,
        established_at=None,
    )
    return user


def lock(work: UnitOfWork, user_id: uuid.UUID) -> User | None:
    row = UserRepository(work.connection).lock(user_id)
    return User.from_row(row) if row is not None else None


def get_in_app(work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None) -> User:
    row = UserRepository(work.connection).get(user_id) if user_id is not None else None
    if row is None or row["app_id"] != app_id:
        raise UserNotFound()
    return User.from_row(row)


def find_by_external_id(work: UnitOfWork, app_id: uuid.UUID, external_id: str) -> User:
    row = UserRepository(work.connection).find_by_external_id(app_id, external_id)
    if row is None:
        raise UserNotFound("No user with this external id for this app.")
    return User.from_row(row)


def set_external_id(work: UnitOfWork, user_id: uuid.UUID, external_id: str) -> bool:
    """Link the user to `external_id`; False when another user of the app has it already."""
    return UserRepository(work.connection).set_external_id(user_id, external_id, work.clock.now())


def unlink(work: UnitOfWork, user_id: uuid.UUID) -> None:
    """The user loses its external id (an undone link): unlinked, as before the link."""
    UserRepository(work.connection).unset_external_id(user_id)


def mark_established(work: UnitOfWork, user_id: uuid.UUID) -> None:
    UserRepository(work.connection).mark_established(user_id, work.clock.now())


def delete(work: UnitOfWork, user_id: uuid.UUID) -> None:
    """The row goes; installs, credentials and payloads go with it (ON DELETE CASCADE)."""
    UserRepository(work.connection).delete(user_id)


def is_linked(work: UnitOfWork, user_id: uuid.UUID) -> bool:
    row = UserRepository(work.connection).get(user_id)
    return bool(row and row["external_id"] is not None)
