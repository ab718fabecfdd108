from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from userlink.models import apps, installs, sdk_tokens


class InstallRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(installs).values(**values))

    def get(self, install_id: uuid.UUID) -> RowMapping | None:
        query = select(installs).where(installs.c.id == install_id)
        return self._connection.execute(query).mappings().first()

    def live_for_user(self, user_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(installs)
            .where(installs.c.user_id == user_id, installs.c.status == "live")
            .order_by(installs.c.created_at, installs.c.id)
        )
        return self._connection.execute(query).mappings().all()

    def live_ids_with_nonce(self, user_id: uuid.UUID, nonce_hash: str) -> list[uuid.UUID]:
        query = select(installs.c.id).where(
            installs.c.user_id == user_id,
            installs.c.installation_nonce_hash == nonce_hash,
            installs.c.status == "live",
        )
        return list(self._connection.execute(query).scalars().all())

    def all_for_user(self, user_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(installs)
            .where(installs.c.user_id == user_id)
            .order_by(installs.c.created_at, installs.c.id)
        )
        return self._connection.execute(query).mappings().all()

    def set_activity(
        self, install_id: uuid.UUID, *, is_active: bool, inactive_reason: str | None
    ) -> None:
        self._connection.execute(
            update(installs)
            .where(installs.c.id == install_id)
            .values(is_active=is_active, inactive_reason=inactive_reason)
        )

    def end(self, install_id: uuid.UUID, *, status: str, reason: str, now: datetime) -> None:
        self._connection.execute(
            update(installs)
            .where(installs.c.id == install_id)
            .values(status=status, is_active=False, inactive_reason=reason, ended_at=now)
        )

    def move_to_user(self, install_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self._connection.execute(
            update(installs)
            .where(installs.c.id == install_id)
            .values(user_id=user_id, is_active=False)
        )


class TokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        self._connection.execute(insert(sdk_tokens), rows)

    def find_with_install(self, token_hash: str) -> RowMapping | None:
        """The token and what every SDK call needs to know about its install, in one query."""
        query = (
            select(
                sdk_tokens.c.id.label("token_id"),
                sdk_tokens.c.kind,
                sdk_tokens.c.expires_at,
                sdk_tokens.c.revoked_at,
                sdk_tokens.c.rotated_at,
                installs.c.id.label("install_id"),
                installs.c.app_id,
                installs.c.user_id,
                installs.c.status,
                installs.c.is_active,
                installs.c.inactive_reason,
                apps.c.is_remote_enabled.label("app_enabled"),
            )
            .join(installs, installs.c.id == sdk_tokens.c.install_id)
            .join(apps, apps.c.id == installs.c.app_id)
            .where(sdk_tokens.c.token_hash == token_hash)
        )
        return self._connection.execute(query).mappings().first()

    def rotate(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Retire a refresh token replaced by a new pair; False when another request did first."""
        result = self._connection.execute(
            update(sdk_tokens)
            .where(sdk_tokens.c.id == token_id, sdk_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now, rotated_at=now)
        )
        return result.rowcount == 1

    def revoke_all_for_install(self, install_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(
            update(sdk_tokens)
            .where(sdk_tokens.c.install_id == install_id, sdk_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
