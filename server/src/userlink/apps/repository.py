from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from userlink.models import apps

_GET = select(apps).where(apps.c.id == bindparam("b_id"))


class AppRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(apps).values(**values))

    def get(self, app_id: uuid.UUID) -> RowMapping | None:
        return self._connection.execute(_GET, {"b_id": app_id}).mappings().first()

    def get_for_update(self, app_id: uuid.UUID) -> RowMapping | None:
        query = select(apps).where(apps.c.id == app_id).with_for_update()
        return self._connection.execute(query).mappings().first()

    def list_all(self) -> Sequence[RowMapping]:
        return self._connection.execute(select(apps).order_by(apps.c.created_at)).mappings().all()

    def list_of_organisation(self, organisation_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(apps)
            .where(apps.c.organisation_id == organisation_id)
            .order_by(apps.c.created_at)
        )
        return self._connection.execute(query).mappings().all()

    def update(self, app_id: uuid.UUID, **values: Any) -> None:
        self._connection.execute(update(apps).where(apps.c.id == app_id).values(**values))
