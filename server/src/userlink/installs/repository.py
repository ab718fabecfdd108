from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from userlink.db import RowsInsert, WritesAtEnd
from userlink.models import installs

# Hot statements, built once and executed with parameters (see auth_codes/repository.py).
# A new install is written with its unit of work's other writes at the end: nothing reads it back
# (its role was decided before, `rules.assign_activity`).
_INSERT = RowsInsert(
    installs,
    (
        "id",
        "app_id",
        "user_id",
        "installation_nonce_hash",
        "platform",
        "os_version",
        "model",
        "screen_diagonal_inches",
        "ios_idiom",
        "device_class",
        "app_version",
        "sdk_version",
        "created_at",
        "status",
        "is_active",
        "inactive_reason",
        "registered_via",
    ),
)
_GET = select(installs).where(installs.c.id == bindparam("b_id"))
_LOCK = _GET.with_for_update()
_LIVE_FOR_USER = (
    select(installs)
    .where(installs.c.user_id == bindparam("b_user_id"), installs.c.status == "live")
    .order_by(installs.c.created_at, installs.c.id)
)
_SET_ACTIVITY = (
    update(installs)
    .where(installs.c.id == bindparam("b_id"))
    .values(is_active=bindparam("b_is_active"), inactive_reason=bindparam("b_reason"))
)

# Deactivation of the install that lost the role to another one: the same one UPDATE, with what
# the SDK is told on its next call.
_DISPLACE = (
    update(installs)
    .where(installs.c.id == bindparam("b_id"))
    .values(
        is_active=False,
        inactive_reason=bindparam("b_reason"),
        displaced_at=bindparam("b_now"),
        displaced_by=bindparam("b_by"),
        displacement_reason=bindparam("b_displacement_reason"),
    )
)


class InstallRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_at_end(self, at_end: WritesAtEnd, **values: Any) -> None:
        at_end.add(_INSERT, [values])

    def get(self, install_id: uuid.UUID) -> RowMapping | None:
        return self._connection.execute(_GET, {"b_id": install_id}).mappings().first()

    def lock(self, install_id: uuid.UUID) -> RowMapping | None:
        return self._connection.execute(_LOCK, {"b_id": install_id}).mappings().first()

    def live_for_user(self, user_id: uuid.UUID) -> Sequence[RowMapping]:
        return self._connection.execute(_LIVE_FOR_USER, {"b_user_id": user_id}).mappings().all()

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
            _SET_ACTIVITY,
            {"b_id": install_id, "b_is_active": is_active, "b_reason": inactive_reason},
        )

    def displace(
        self,
        install_id: uuid.UUID,
        *,
        inactive_reason: str | None,
        now: datetime,
        by: uuid.UUID,
        displacement_reason: str,
    ) -> None:
        self._connection.execute(
            _DISPLACE,
            {
                "b_id": install_id,
                "b_reason": inactive_reason,
                "b_now": now,
                "b_by": by,
                "b_displacement_reason": displacement_reason,
            },
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

    def count_by_state(self, app_id: uuid.UUID) -> Sequence[RowMapping]:
        """How many installs of the app per (status, is_active)."""
        query = (
            select(installs.c.status, installs.c.is_active, func.count().label("installs"))
            .where(installs.c.app_id == app_id)
            .group_by(installs.c.status, installs.c.is_active)
        )
        return self._connection.execute(query).mappings().all()
