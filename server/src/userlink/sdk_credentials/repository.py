from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from userlink.db import RowsInsert, WritesAtEnd
from userlink.models import apps, installs, sdk_tokens, users

# The credential check of every SDK call, and the rotation's statements: built once, executed
# with parameters (see auth_codes/repository.py).
_WITH_INSTALL = (
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
        installs.c.displaced_at,
        installs.c.displaced_by,
        installs.c.displacement_reason,
        apps.c.is_remote_enabled.label("app_enabled"),
    )
    .join(installs, installs.c.id == sdk_tokens.c.install_id)
    .join(apps, apps.c.id == installs.c.app_id)
    .where(sdk_tokens.c.token_hash == bindparam("b_token_hash"))
)
# Locks the token's row and its install's (not the app's: that would serialise a whole app).
_WITH_INSTALL_LOCKED = _WITH_INSTALL.with_for_update(of=[sdk_tokens, installs])
# The same check under a shared lock on the install's user, which every change of the user's
# active install takes exclusively: a payload upload (one statement where it took two).
_WITH_INSTALL_SHARING_USER_LOCK = _WITH_INSTALL.join(
    users, users.c.id == installs.c.user_id
).with_for_update(read=True, of=users)
_INSERT = RowsInsert(
    sdk_tokens, ("id", "install_id", "kind", "token_hash", "created_at", "expires_at")
)
_ROTATE = (
    update(sdk_tokens)
    .where(sdk_tokens.c.id == bindparam("b_id"), sdk_tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("b_now"), rotated_at=bindparam("b_now"))
)
_REVOKE_ALL = (
    update(sdk_tokens)
    .where(sdk_tokens.c.install_id == bindparam("b_install_id"), sdk_tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("b_now"))
)


class TokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_at_end(self, at_end: WritesAtEnd, rows: list[dict[str, Any]]) -> None:
        """The rows, inserted with the unit of work's other inserts at its end."""
        at_end.add(_INSERT, rows)

    def find_with_install(self, token_hash: str) -> RowMapping | None:
        """The token and what every SDK call needs to know about its install, in one query."""
        parameters = {"b_token_hash": token_hash}
        return self._connection.execute(_WITH_INSTALL, parameters).mappings().first()

    def find_with_install_sharing_user_lock(self, token_hash: str) -> RowMapping | None:
        """`find_with_install`, holding a shared lock on the install's user until the transaction
        ends (no lock on SQLite, whose write transactions run one at a time)."""
        parameters = {"b_token_hash": token_hash}
        return (
            self._connection.execute(_WITH_INSTALL_SHARING_USER_LOCK, parameters).mappings().first()
        )

    def find_locked(self, token_hash: str) -> RowMapping | None:
        """The token and its install, both rows locked: rotations and retries of one install's
        credentials run one after another, each seeing what the one before it committed."""
        parameters = {"b_token_hash": token_hash}
        return self._connection.execute(_WITH_INSTALL_LOCKED, parameters).mappings().first()

    def rotate(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Retire a refresh token replaced by a new pair; False when another request did first."""
        result = self._connection.execute(_ROTATE, {"b_id": token_id, "b_now": now})
        return result.rowcount == 1

    def revoke_all_for_install(self, install_id: uuid.UUID, now: datetime) -> None:
        self._connection.execute(_REVOKE_ALL, {"b_install_id": install_id, "b_now": now})

    def latest_issue_per_install(self, install_ids: Sequence[uuid.UUID]) -> Sequence[RowMapping]:
        """When each install was last given credentials (its index on install_id serves it)."""
        query = (
            select(sdk_tokens.c.install_id, func.max(sdk_tokens.c.created_at).label("issued_at"))
            .where(sdk_tokens.c.install_id.in_(install_ids))
            .group_by(sdk_tokens.c.install_id)
        )
        return self._connection.execute(query).mappings().all()
