from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from userlink.models import users

# Hot statements, built once and executed with parameters (see auth_codes/repository.py).
_GET = select(users).where(users.c.id == bindparam("b_id"))
_LOCK = _GET.with_for_update()
_INSERT = insert(users)


def _upsert_linked(dialect: str) -> Any:
    """Insert the user of an external id or, when (app, external id) exists, touch that row
    (which locks it on PostgreSQL); either way the row comes back."""
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_of(users)
    return statement.on_conflict_do_update(
        index_elements=[users.c.app_id, users.c.external_id],
        set_={"external_id": statement.excluded.external_id},
    ).returning(*users.c)


_UPSERT_LINKED = {dialect: _upsert_linked(dialect) for dialect in ("postgresql", "sqlite")}


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, user_id: uuid.UUID) -> RowMapping | None:
        return self._connection.execute(_GET, {"b_id": user_id}).mappings().first()

    def lock(self, user_id: uuid.UUID) -> RowMapping | None:
        """Serialise every change to one user's installs (a no-op lock on SQLite, where each
        transaction already holds the database's write lock)."""
        return self._connection.execute(_LOCK, {"b_id": user_id}).mappings().first()

    def find_by_external_id(self, app_id: uuid.UUID, external_id: str) -> RowMapping | None:
        query = select(users).where(users.c.app_id == app_id, users.c.external_id == external_id)
        return self._connection.execute(query).mappings().first()

    def insert(self, **values: Any) -> None:
        self._connection.execute(_INSERT, values)

    def upsert_linked(
        self, *, user_id: uuid.UUID, app_id: uuid.UUID, external_id: str, now: datetime
    ) -> RowMapping:
        """The user of this external id, inserted now or found (and locked): one statement."""
        statement = _UPSERT_LINKED[self._connection.dialect.name]
        values = {
            "id": user_id,
            "app_id": app_id,
            "external_id": external_id,
            "created_at": now,
            "linked_at": now,
            "established_at": now,
        }
        return self._connection.execute(statement, values).mappings().one()

    def set_external_id(self, user_id: uuid.UUID, external_id: str, now: datetime) -> bool:
        savepoint = self._connection.begin_nested()
        try:
            self._connection.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(external_id=external_id, linked_at=now)
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def unset_external_id(self, user_id: uuid.UUID) -> None:
        self._connection.execute(
            update(users).where(users.c.id == user_id).values(external_id=None, linked_at=None)
        )

    def mark_established(self, user_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(
            update(users)
            .where(users.c.id == user_id, users.c.established_at.is_(None))
            .values(established_at=now)
        )

    def delete(self, user_id: uuid.UUID) -> None:
        self._connection.execute(delete(users).where(users.c.id == user_id))
