from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, RowMapping, bindparam, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from userlink.models import payloads
from userlink.payloads.rules import HeldFilter

# PostgreSQL: one statement whose text never changes with the batch's size (nine columns as
# arrays), so psycopg prepares it once; the INSERT of one row per payload with 900 parameters was
# parsed again for every batch (docs/performance.md).
_INSERT_BATCH_POSTGRESQL = """
INSERT INTO payloads (
    app_id, user_id, install_id, client_id, type, occurred_at, received_at, body, processed
)
SELECT %(app_id)s, %(user_id)s, %(install_id)s, batch.client_id, batch.type, batch.occurred_at,
       %(received_at)s, batch.body::json, %(processed)s
FROM unnest(%(client_ids)s::text[], %(types)s::text[], %(occurred_at)s::timestamptz[],
            %(bodies)s::text[]) AS batch(client_id, type, occurred_at, body)
ON CONFLICT (install_id, client_id) DO NOTHING
RETURNING client_id
"""
# SQLite: one multi-row INSERT per batch size (the sqlite3 module keeps each text prepared), fed
# with values already in SQLite's storage form. Through `insert(...)` SQLAlchemy converted nine
# values for each of the hundred rows, though five are the same for the whole batch
# (docs/performance.md).
_SQLITE_COLUMNS = (
    "app_id",
    "user_id",
    "install_id",
    "client_id",
    "type",
    "occurred_at",
    "received_at",
    "body",
    "processed",
)


@functools.cache
def _insert_batch_sqlite(rows: int, *, skipping_repeats: bool) -> str:
    """A batch's INSERT. Plain, it stores every row or none (a repeated id fails it, and SQLite
    undoes just that statement); `skipping_repeats`, it stores the new rows and names them."""
    values = ", ".join(["(" + ", ".join("?" * len(_SQLITE_COLUMNS)) + ")"] * rows)
    statement = f"INSERT INTO payloads ({', '.join(_SQLITE_COLUMNS)}) VALUES {values}"  # noqa: S608 - no value in the text
    if skipping_repeats:
        statement += " ON CONFLICT (install_id, client_id) DO NOTHING RETURNING client_id"
    return statement


@functools.cache
def _sqlite_converters(dialect: Dialect) -> tuple[Callable[[Any], Any], ...]:
    """How SQLAlchemy stores a uuid, a moment and a boolean on SQLite, so the rows read back
    exactly as if `insert(payloads)` had written them: the uuid's and the boolean's taken from
    the columns' own types, the moment's text written faster (`sqlite_moment_text`)."""

    def stored_as(name: str) -> Callable[[Any], Any]:
        # The dialect's own form of the type, not the generic one.
        processor = payloads.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        return processor if processor is not None else (lambda value: value)

    return stored_as("app_id"), sqlite_moment_text, stored_as("processed")


def sqlite_moment_text(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME writes for a moment of the years 1000-9999 (its
    fields as they are, "2026-11-21 10:00:01.000000"), in half the time: a hundred per upload.
    A property test holds the two equal."""
    return moment.isoformat(" ", "microseconds")[:26]


_TIMELINE_FIRST = (
    select(
        payloads.c.id,
        payloads.c.client_id,
        payloads.c.install_id,
        payloads.c.type,
        payloads.c.occurred_at,
        payloads.c.body,
    )
    .where(payloads.c.user_id == bindparam("b_user_id"), payloads.c.processed.is_(True))
    .order_by(payloads.c.occurred_at, payloads.c.id)
    .limit(bindparam("b_limit"))
)
# A row-value comparison, not an OR: both databases then seek the timeline index to the cursor
# instead of filtering every earlier row (measured: 262 ms at the middle of 1M payloads with the
# OR).
_TIMELINE_AFTER = _TIMELINE_FIRST.where(
    tuple_(payloads.c.occurred_at, payloads.c.id)
    > tuple_(
        bindparam("b_moment", type_=payloads.c.occurred_at.type),
        bindparam("b_row", type_=payloads.c.id.type),
    )
)

# Newest first (the dashboard): the same index, read backwards from the cursor.
_TIMELINE_NEWEST = _TIMELINE_FIRST.order_by(None).order_by(
    payloads.c.occurred_at.desc(), payloads.c.id.desc()
)
_TIMELINE_BEFORE = _TIMELINE_NEWEST.where(
    tuple_(payloads.c.occurred_at, payloads.c.id)
    < tuple_(
        bindparam("b_moment", type_=payloads.c.occurred_at.type),
        bindparam("b_row", type_=payloads.c.id.type),
    )
)


def _held_conditions(user_id: uuid.UUID, which: HeldFilter) -> list[Any]:
    """The user's held rows `which` selects; the timeline's index (user_id, processed,
    occurred_at, id) serves them."""
    found = [payloads.c.user_id == user_id, payloads.c.processed.is_(False)]
    if which.install_id is not None:
        found.append(payloads.c.install_id == which.install_id)
    if which.since is not None:
        found.append(payloads.c.occurred_at >= which.since)
    if which.until is not None:
        found.append(payloads.c.occurred_at < which.until)
    return found


@dataclass(frozen=True)
class NewPayloads:
    """A batch to store, by column (no object per payload): the i-th payload is the i-th of each."""

    client_ids: list[str]
    types: list[str]
    occurred_at: list[datetime]  # in UTC
    bodies: list[str]  # each encoded once (payloads.rules.encode_bodies)

    def __len__(self) -> int:
        return len(self.client_ids)


class PayloadRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def insert_new(
        self,
        batch: NewPayloads,
        *,
        app_id: uuid.UUID,
        user_id: uuid.UUID,
        install_id: uuid.UUID,
        received_at: datetime,
        processed: bool,
    ) -> set[str]:
        """Insert the batch of one install, skipping ids it sent before; the client ids inserted.
        ON CONFLICT DO NOTHING makes two concurrent copies of one batch store each payload once."""
        if self._connection.dialect.name == "postgresql":
            parameters = {
                "app_id": app_id,
                "user_id": user_id,
                "install_id": install_id,
                "received_at": received_at,
                "processed": processed,
                "client_ids": batch.client_ids,
                "types": batch.types,
                "occurred_at": batch.occurred_at,
                "bodies": batch.bodies,
            }
            result = self._connection.exec_driver_sql(_INSERT_BATCH_POSTGRESQL, parameters)
        else:
            as_id, as_moment, as_flag = _sqlite_converters(self._connection.dialect)
            app, user, install = as_id(app_id), as_id(user_id), as_id(install_id)
            received, flag = as_moment(received_at), as_flag(processed)
            values: list[Any] = []
            for client_id, kind, moment, body in zip(
                batch.client_ids, batch.types, batch.occurred_at, batch.bodies, strict=True
            ):
                values += (
                    app,
                    user,
                    install,
                    client_id,
                    kind,
                    as_moment(moment),
                    received,
                    body,
                    flag,
                )
            rows = tuple(values)
            try:
                # Most batches are new: no row to name, none to read back (reading a hundred
                # back, a step each, took a tenth of the SQLite writer thread's time).
                self._connection.exec_driver_sql(
                    _insert_batch_sqlite(len(batch), skipping_repeats=False), rows
                )
            except IntegrityError:
                # A retry: some of the ids were stored before.
                result = self._connection.exec_driver_sql(
                    _insert_batch_sqlite(len(batch), skipping_repeats=True), rows
                )
            else:
                return set(batch.client_ids)
        return set(result.scalars().all())

    def timeline_page(
        self, user_id: uuid.UUID, after: tuple[datetime, int] | None, limit: int
    ) -> Sequence[RowMapping]:
        if after is None:
            parameters: dict[str, Any] = {"b_user_id": user_id, "b_limit": limit}
            return self._connection.execute(_TIMELINE_FIRST, parameters).mappings().all()
        moment, row_id = after
        parameters = {"b_user_id": user_id, "b_limit": limit, "b_moment": moment, "b_row": row_id}
        return self._connection.execute(_TIMELINE_AFTER, parameters).mappings().all()

    def timeline_page_newest_first(
        self, user_id: uuid.UUID, before: tuple[datetime, int] | None, limit: int
    ) -> Sequence[RowMapping]:
        parameters: dict[str, Any] = {"b_user_id": user_id, "b_limit": limit}
        if before is None:
            return self._connection.execute(_TIMELINE_NEWEST, parameters).mappings().all()
        parameters["b_moment"], parameters["b_row"] = before
        return self._connection.execute(_TIMELINE_BEFORE, parameters).mappings().all()

    def move_install(self, install_id: uuid.UUID, user_id: uuid.UUID) -> None:
        self._connection.execute(
            update(payloads).where(payloads.c.install_id == install_id).values(user_id=user_id)
        )

    def held_page(
        self,
        user_id: uuid.UUID,
        which: HeldFilter,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> Sequence[RowMapping]:
        """A user's held payloads (sent by an install while it was inactive, not merged), in
        timeline order: by occurred_at, then id."""
        query = (
            select(
                payloads.c.id,
                payloads.c.client_id,
                payloads.c.install_id,
                payloads.c.type,
                payloads.c.occurred_at,
                payloads.c.received_at,
                payloads.c.body,
            )
            .where(*_held_conditions(user_id, which))
            .order_by(payloads.c.occurred_at, payloads.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                tuple_(payloads.c.occurred_at, payloads.c.id)
                > tuple_(
                    bindparam("b_moment", value=after[0], type_=payloads.c.occurred_at.type),
                    bindparam("b_row", value=after[1], type_=payloads.c.id.type),
                )
            )
        return self._connection.execute(query).mappings().all()

    def merge_held(self, user_id: uuid.UUID, which: HeldFilter, now: datetime) -> int:
        """Held payloads into the timeline: one UPDATE of the rows still held, so a payload is
        merged once however many merges run (a concurrent one skips the rows this one took)."""
        result = self._connection.execute(
            update(payloads)
            .where(*_held_conditions(user_id, which))
            .values(processed=True, merged_at=now)
        )
        return int(result.rowcount)
