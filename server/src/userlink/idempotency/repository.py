from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from userlink.models import idempotency_keys as keys

# The first argument of PostgreSQL's two-key advisory locks taken here, so that they can never
# collide with another use of advisory locks ("ID" "K").
ADVISORY_LOCK_CLASS = 0x4944_4B00

_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:b_class, :b_object)")


def _claim(dialect: str) -> Any:
    """Insert the key or take over its expired row (not yet swept): the key's row comes back only
    when this request now owns it."""
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_of(keys)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[keys.c.app_id, keys.c.key],
        set_={
            "request_hash": excluded.request_hash,
            "created_at": excluded.created_at,
            "expires_at": excluded.expires_at,
            "status_code": None,
            "response_body": None,
        },
        where=keys.c.expires_at <= excluded.created_at,
    ).returning(keys.c.key)


_CLAIM = {dialect: _claim(dialect) for dialect in ("postgresql", "sqlite")}
_FIND = select(keys).where(keys.c.app_id == bindparam("b_app_id"), keys.c.key == bindparam("b_key"))
_COMPLETE = (
    update(keys)
    .where(keys.c.app_id == bindparam("b_app_id"), keys.c.key == bindparam("b_key"))
    .values(status_code=bindparam("b_status"), response_body=bindparam("b_body"))
)
_RELEASE = delete(keys).where(
    keys.c.app_id == bindparam("b_app_id"), keys.c.key == bindparam("b_key")
)
_SWEEP = delete(keys).where(
    keys.c.app_id == bindparam("b_app_id"), keys.c.expires_at <= bindparam("b_now")
)


def _lock_object(app_id: uuid.UUID, key: str) -> int:
    """A signed 32-bit number for (app, key): two keys sharing one only make one of them wait."""
    digest = hashlib.sha256(app_id.bytes + key.encode("ascii")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


class IdempotencyKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def try_lock(self, app_id: uuid.UUID, key: str) -> bool:
        """PostgreSQL: a transaction-scoped advisory lock on (app, key), without waiting, so that
        a second request with the key is told at once instead of queueing behind the first's
        uncommitted row. SQLite: always (a transaction holds the database's write lock)."""
        if self._connection.dialect.name != "postgresql":
            return True
        parameters = {"b_class": ADVISORY_LOCK_CLASS, "b_object": _lock_object(app_id, key)}
        return bool(self._connection.execute(_TRY_LOCK, parameters).scalar_one())

    def claim(
        self,
        *,
        app_id: uuid.UUID,
        key: str,
        request_hash: str,
        now: datetime,
        expires_at: datetime,
    ) -> bool:
        values = {
            "app_id": app_id,
            "key": key,
            "request_hash": request_hash,
            "created_at": now,
            "expires_at": expires_at,
            "status_code": None,
            "response_body": None,
        }
        statement = _CLAIM[self._connection.dialect.name]
        return self._connection.execute(statement, values).first() is not None

    def find(self, app_id: uuid.UUID, key: str) -> RowMapping | None:
        parameters = {"b_app_id": app_id, "b_key": key}
        return self._connection.execute(_FIND, parameters).mappings().first()

    def complete(self, app_id: uuid.UUID, key: str, status_code: int, body: str) -> None:
        parameters = {"b_app_id": app_id, "b_key": key, "b_status": status_code, "b_body": body}
        self._connection.execute(_COMPLETE, parameters)

    def release(self, app_id: uuid.UUID, key: str) -> None:
        self._connection.execute(_RELEASE, {"b_app_id": app_id, "b_key": key})

    def sweep(self, app_id: uuid.UUID, now: datetime) -> int:
        """Delete the app's expired keys: how many."""
        result = self._connection.execute(_SWEEP, {"b_app_id": app_id, "b_now": now})
        return int(result.rowcount)
