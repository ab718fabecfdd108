"""What the runtime stored, read straight from its database: for assertions that a refused
request stored nothing, or that an invariant holds in the rows themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, Table, func, select

from userlink.models import audit_events, metadata
from userlink.runtime import Runtime


def count_rows(runtime: Runtime, table: Table, **equals: Any) -> int:
    query = select(func.count()).select_from(table)
    for column, value in equals.items():
        query = query.where(table.c[column] == value)
    with runtime.database.transaction() as connection:
        return int(connection.execute(query).scalar_one())


def rows(runtime: Runtime, table: Table, *order_by: Any, **equals: Any) -> list[RowMapping]:
    query = select(table).order_by(*order_by)
    for column, value in equals.items():
        query = query.where(table.c[column] == value)
    with runtime.database.transaction() as connection:
        return list(connection.execute(query).mappings().all())


def audit_rows(runtime: Runtime, event: str) -> list[RowMapping]:
    """In the order they were recorded (by id: without an ORDER BY, PostgreSQL returns rows in
    whatever order its pages hold them, which after earlier tests' deletions is not that one)."""
    return rows(runtime, audit_events, audit_events.c.id, event=event)


def every_stored_value(runtime: Runtime) -> str:
    """Every value of every column of every table, as one text: secrets must not be in it."""
    parts: list[str] = []
    with runtime.database.transaction() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                parts.extend(f"{table.name}.{column}={value!r}" for column, value in row.items())
    return "\n".join(parts)
