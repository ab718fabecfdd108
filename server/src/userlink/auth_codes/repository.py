from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    bindparam,
    delete,
    func,
    select,
    update,
)

from userlink.db import RowsInsert, RowUpdate, WritesAtEnd
from userlink.kit.periods import day_index
from userlink.models import auth_codes

# Hot statements are built once (here) and executed with parameters, so each call only looks
# its compiled form up in SQLAlchemy's cache.
_INSERT = RowsInsert(
    auth_codes,
    ("id", "app_id", "code_hash", "external_id", "created_at", "expires_at", "code_challenge"),
)
_CLAIM = (
    update(auth_codes)
    .where(
        auth_codes.c.code_hash == bindparam("b_code_hash"),
        auth_codes.c.redeemed_at.is_(None),
        auth_codes.c.expires_at > bindparam("b_now"),
    )
    .values(redeemed_at=bindparam("b_now"), redemption_nonce_hash=bindparam("b_nonce_hash"))
    .returning(
        auth_codes.c.id,
        auth_codes.c.app_id,
        auth_codes.c.external_id,
        auth_codes.c.code_challenge,
    )
)
_FIND = select(auth_codes).where(auth_codes.c.code_hash == bindparam("b_code_hash"))
# A redeemed code's outcome, written with the unit of work's other writes at its end.
_RECORD_OUTCOME = RowUpdate(auth_codes, ("user_id", "install_id", "restored"))


_RELEASE = (
    update(auth_codes)
    .where(auth_codes.c.id == bindparam("b_code_id"))
    .values(redeemed_at=None, redemption_nonce_hash=None)
)


class AuthCodeRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_at_end(self, at_end: WritesAtEnd, row: dict[str, Any]) -> None:
        """The code, inserted with the unit of work's other inserts at its end."""
        at_end.add(_INSERT, [row])

    def claim(self, code_hash: str, nonce_hash: str, now: datetime) -> RowMapping | None:
        """Mark an unused, unexpired code redeemed. One UPDATE: under any number of concurrent
        redemptions, in any number of processes, exactly one gets the row back."""
        parameters = {"b_code_hash": code_hash, "b_now": now, "b_nonce_hash": nonce_hash}
        return self._connection.execute(_CLAIM, parameters).mappings().first()

    def release(self, code_id: uuid.UUID) -> None:
        """Unclaim a code claimed in this transaction."""
        self._connection.execute(_RELEASE, {"b_code_id": code_id})

    def find(self, code_hash: str) -> RowMapping | None:
        return self._connection.execute(_FIND, {"b_code_hash": code_hash}).mappings().first()

    def record_outcome_at_end(
        self,
        at_end: WritesAtEnd,
        code_id: uuid.UUID,
        *,
        user_id: uuid.UUID,
        install_id: uuid.UUID,
        restored: bool,
    ) -> None:
        row = {"id": code_id, "user_id": user_id, "install_id": install_id, "restored": restored}
        at_end.add(_RECORD_OUTCOME, [row])

    def delete_for_external_id(self, app_id: uuid.UUID, external_id: str) -> None:
        self._connection.execute(
            delete(auth_codes).where(
                auth_codes.c.app_id == app_id, auth_codes.c.external_id == external_id
            )
        )

    def count_per_day(
        self, app_id: uuid.UUID, edges: Sequence[datetime], now: datetime
    ) -> dict[str, Sequence[RowMapping]]:
        """Per day between the first and last edge, the app's codes issued, redeemed, and expired
        unredeemed (by the day their expiry passed, up to now): rows of (day, codes)."""
        app = auth_codes.c.app_id == app_id
        counted = {
            "issued": (auth_codes.c.created_at, [app]),
            "redeemed": (auth_codes.c.redeemed_at, [app]),
            "expired": (
                auth_codes.c.expires_at,
                [app, auth_codes.c.redeemed_at.is_(None), auth_codes.c.expires_at <= now],
            ),
        }
        answers: dict[str, Sequence[RowMapping]] = {}
        for name, (moment, conditions) in counted.items():
            # The day computed in a subquery and grouped outside: the CASE's bound edges then
            # appear once, which PostgreSQL needs to match a GROUP BY expression.
            days = (
                select(day_index(moment, edges).label("day"))
                .where(*conditions, moment >= edges[0], moment < edges[-1])
                .subquery()
            )
            query = select(days.c.day, func.count().label("codes")).group_by(days.c.day)
            answers[name] = self._connection.execute(query).mappings().all()
        return answers
