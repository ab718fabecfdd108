from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping, exists, func, select

from userlink.models import auth_codes, installs, sdk_tokens, users


class ReportRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def installs_of_app(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        """Every install of the app with when it was last seen (its newest credential: issued at
        creation and at every refresh) and whether a code made or linked it."""
        last_seen = (
            select(func.max(sdk_tokens.c.created_at))
            .where(sdk_tokens.c.install_id == installs.c.id)
            .scalar_subquery()
        )
        via_code = exists().where(auth_codes.c.install_id == installs.c.id)
        query = select(
            installs.c.id,
            installs.c.user_id,
            installs.c.status,
            installs.c.is_active,
            installs.c.registered_via,
            installs.c.sdk_version,
            installs.c.created_at,
            last_seen.label("last_seen"),
            via_code.label("via_code"),
        ).where(installs.c.app_id == app_id)
        return self._connection.execute(query).mappings().all()

    def users_of_app(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        """Every user of the app: linked or not, and whether a code ever made or linked it."""
        via_code = exists().where(auth_codes.c.user_id == users.c.id)
        query = select(
            users.c.id,
            (users.c.external_id.is_not(None)).label("is_linked"),
            via_code.label("via_code"),
        ).where(users.c.app_id == app_id)
        return self._connection.execute(query).mappings().all()
