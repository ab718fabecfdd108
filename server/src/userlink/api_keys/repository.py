from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, insert, select, update

from userlink.models import api_keys, apps

# The credential check of every server-to-server call: built once, found in the statement cache.
_FIND_WITH_APP = (
    select(
        api_keys.c.id,
        api_keys.c.app_id,
        api_keys.c.scopes,
        api_keys.c.expires_at,
        api_keys.c.revoked_at,
        api_keys.c.last_used_at,
        apps.c.name.label("app_name"),
        apps.c.code_lifetime_seconds.label("app_code_lifetime_seconds"),
        apps.c.linking_enabled.label("app_linking_enabled"),
        apps.c.is_remote_enabled.label("app_is_remote_enabled"),
        apps.c.created_at.label("app_created_at"),
        apps.c.organisation_id.label("app_organisation_id"),
        # The app's placeholder lists come with it: issuance checks them without a statement.
        apps.c.blocked_external_ids.label("app_blocked_external_ids"),
        apps.c.allowed_external_ids.label("app_allowed_external_ids"),
        apps.c.pkce_policy.label("app_pkce_policy"),
        apps.c.legacy_registration_enabled.label("app_legacy_registration_enabled"),
        apps.c.undo_window_seconds.label("app_undo_window_seconds"),
    )
    .join(apps, apps.c.id == api_keys.c.app_id)
    .where(api_keys.c.token_hash == bindparam("token_hash"))
)


class ApiKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert(self, **values: Any) -> None:
        self._connection.execute(insert(api_keys).values(**values))

    def find_with_app(self, token_hash: str) -> RowMapping | None:
        """The key and its app, in one statement: all an API-key route needs to know."""
        return (
            self._connection.execute(_FIND_WITH_APP, {"token_hash": token_hash}).mappings().first()
        )

    def find_by_hash(self, token_hash: str) -> RowMapping | None:
        query = select(
            api_keys.c.id,
            api_keys.c.app_id,
            api_keys.c.scopes,
            api_keys.c.expires_at,
            api_keys.c.revoked_at,
            api_keys.c.last_used_at,
        ).where(api_keys.c.token_hash == token_hash)
        return self._connection.execute(query).mappings().first()

    def count_active(self, app_id: uuid.UUID, now: datetime) -> int:
        query = (
            select(func.count())
            .select_from(api_keys)
            .where(
                api_keys.c.app_id == app_id,
                api_keys.c.revoked_at.is_(None),
                api_keys.c.expires_at > now,
            )
        )
        return int(self._connection.execute(query).scalar_one())

    def count_active_by_app(
        self, app_ids: Sequence[uuid.UUID], now: datetime
    ) -> dict[uuid.UUID, int]:
        """Active keys per app, for the apps given (an app without any is absent)."""
        if not app_ids:
            return {}
        query = (
            select(api_keys.c.app_id, func.count())
            .where(
                api_keys.c.app_id.in_(app_ids),
                api_keys.c.revoked_at.is_(None),
                api_keys.c.expires_at > now,
            )
            .group_by(api_keys.c.app_id)
        )
        return {app_id: int(count) for app_id, count in self._connection.execute(query).all()}

    def list_for_app(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(api_keys)
            .where(api_keys.c.app_id == app_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id)
        )
        return self._connection.execute(query).mappings().all()

    def get(self, app_id: uuid.UUID, key_id: uuid.UUID) -> RowMapping | None:
        query = select(api_keys).where(api_keys.c.app_id == app_id, api_keys.c.id == key_id)
        return self._connection.execute(query).mappings().first()

    def mark_revoked(self, key_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def set_expiry(self, key_id: uuid.UUID, expires_at: datetime) -> None:
        self._connection.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(expires_at=expires_at)
        )

    def touch(self, key_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now)
        )
