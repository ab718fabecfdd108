from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from userlink.models import users


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, user_id: uuid.UUID) -> RowMapping | None:
        query = select(users).where(users.c.id == user_id)
        return self._connection.execute(query).mappings().first()

    def lock(self, user_id: uuid.UUID) -> RowMapping | None:
        """Serialise every change to one user's installs (a no-op lock on SQLite, where each
        transaction already holds the database's write lock)."""
        query = select(users).where(users.c.id == user_id).with_for_update()
        return self._connection.execute(query).mappings().first()

    def lock_shared(self, user_id: uuid.UUID) -> RowMapping | None:
        query = select(users.c.id).where(users.c.id == user_id).with_for_update(read=True)
        return self._connection.execute(query).mappings().first()

    def find_by_external_id(self, app_id: uuid.UUID, external_id: str) -> RowMapping | None:
        query = select(users).where(users.c.app_id == app_id, users.c.external_id == external_id)
        return self._connection.execute(query).mappings().first()

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(users).values(**values))

    def upsert_linked(
        self, *, user_id: uuid.UUID, app_id: uuid.UUID, external_id: str, now: datetime
    ) -> RowMapping:
        """Insert the user of this external id, or, when (app, external id) exists, touch that
        row instead (which locks it on PostgreSQL); either way the row comes back."""
        dialect = self._connection.dialect.name
        insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert_of(users).values(
            id=user_id,
            app_id=app_id,
            external_id=external_id,
            created_at=now,
            linked_at=now,
            established_at=now,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[users.c.app_id, users.c.external_id],
            set_={"external_id": statement.excluded.external_id},
        ).returning(*users.c)
        return self._connection.execute(upsert).mappings().one()

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

    def mark_established(self, user_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(
            update(users)
            .where(users.c.id == user_id, users.c.established_at.is_(None))
            .values(established_at=now)
        )

    def delete(self, user_id: uuid.UUID) -> None:
        self._connection.execute(delete(users).where(users.c.id == user_id))
