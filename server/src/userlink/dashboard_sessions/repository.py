from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from userlink.models import accounts, dashboard_sessions

# One statement per page: the session with what the page needs of its account.
_BY_TOKEN = (
    select(
        dashboard_sessions,
        accounts.c.email,
        accounts.c.is_operator,
        accounts.c.must_change_password,
        accounts.c.totp_enabled_at,
    )
    .join(accounts, accounts.c.id == dashboard_sessions.c.account_id)
    .where(dashboard_sessions.c.token_hash == bindparam("b_token_hash"))
)


class SessionRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(dashboard_sessions).values(**values))

    def by_token_hash(self, token_hash: str) -> RowMapping | None:
        return self._connection.execute(_BY_TOKEN, {"b_token_hash": token_hash}).mappings().first()

    def update(self, session_id: uuid.UUID, **values: Any) -> None:
        self._connection.execute(
            update(dashboard_sessions).where(dashboard_sessions.c.id == session_id).values(**values)
        )

    def revoke_all(
        self, account_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
    ) -> int:
        conditions = [
            dashboard_sessions.c.account_id == account_id,
            dashboard_sessions.c.revoked_at.is_(None),
        ]
        if keep is not None:
            conditions.append(dashboard_sessions.c.id != keep)
        result = self._connection.execute(
            update(dashboard_sessions).where(*conditions).values(revoked_at=now)
        )
        return result.rowcount
