from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from userlink.models import auth_codes


class AuthCodeRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(auth_codes).values(**values))

    def claim(self, code_hash: str, nonce_hash: str, now: datetime) -> RowMapping | None:
        """Mark an unused, unexpired code redeemed. One UPDATE: under any number of concurrent
        redemptions, in any number of processes, exactly one gets the row back."""
        statement = (
            update(auth_codes)
            .where(
                auth_codes.c.code_hash == code_hash,
                auth_codes.c.redeemed_at.is_(None),
                auth_codes.c.expires_at > now,
            )
            .values(redeemed_at=now, redemption_nonce_hash=nonce_hash)
            .returning(auth_codes.c.id, auth_codes.c.app_id, auth_codes.c.external_id)
        )
        return self._connection.execute(statement).mappings().first()

    def find(self, code_hash: str) -> RowMapping | None:
        query = select(auth_codes).where(auth_codes.c.code_hash == code_hash)
        return self._connection.execute(query).mappings().first()

    def record_outcome(
        self, code_id: uuid.UUID, *, user_id: uuid.UUID, install_id: uuid.UUID, restored: bool
    ) -> None:
        self._connection.execute(
            update(auth_codes)
            .where(auth_codes.c.id == code_id)
            .values(user_id=user_id, install_id=install_id, restored=restored)
        )

    def delete_for_external_id(self, app_id: uuid.UUID, external_id: str) -> None:
        self._connection.execute(
            delete(auth_codes).where(
                auth_codes.c.app_id == app_id, auth_codes.c.external_id == external_id
            )
        )
