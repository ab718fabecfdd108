from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
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

    def insert_if_absent(
        self,
        *,
        user_id: uuid.UUID,
        app_id: uuid.UUID,
        external_id: str | None,
        now: datetime,
        established: bool = True,
    ) -> bool:
        """Insert the user; False when the unique (app, external id) says another transaction
        created it first. A savepoint keeps the surrounding unit of work usable."""
        savepoint = self._connection.begin_nested()
        try:
            self._connection.execute(
                insert(users).values(
                    id=user_id,
                    app_id=app_id,
                    external_id=external_id,
                    created_at=now,
                    linked_at=now if external_id is not None else None,
                    established_at=now if established else None,
                )
            )
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

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
