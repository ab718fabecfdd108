"""The reference apps: what the same server stack does with (almost) nothing of the platform's.

Started by the bench as
`python -m uvicorn --factory bench.reference_apps:create_app --loop uvloop --http httptools
--no-access-log --workers N`, the same worker count as the platform. `BENCH_REFERENCE_APP`
selects the app:

- `hello`: FastAPI, `POST /hello` takes a pydantic model and answers one, no database. An `async`
  route: the ceiling of the HTTP stack. `GET /health` of the platform is measured against it.
- `one-insert`: the same, plus one INSERT of a small row in one transaction, from a plain `def`
  route (one hop to the thread pool), through the driver the platform uses:
  - PostgreSQL (`BENCH_REFERENCE_DATABASE` is a libpq conninfo): psycopg 3, synchronous, with a
    `psycopg_pool.ConnectionPool` sized like the platform's pool (`BENCH_REFERENCE_POOL_MIN`,
    `BENCH_REFERENCE_POOL_MAX`: its `database_pool_size` and that plus `database_max_overflow`);
  - SQLite (`BENCH_REFERENCE_DATABASE` is a file path): the stdlib sqlite3, one long-lived
    connection per process (WAL, synchronous=NORMAL, `BEGIN IMMEDIATE`), one thread at a time.
  The table (`REFERENCE_TABLE`) is created by the bench before the app starts.

Nothing here imports the platform: it is the yardstick, not the thing measured.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI  # noqa: TID251 (the reference apps are HTTP edges)
from pydantic import BaseModel, Field

REFERENCE_TABLE = "bench_reference_rows"
APPS = ("hello", "one-insert")


class RowIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=256)


class RowOut(BaseModel):
    id: str
    external_id: str
    created_at: datetime


def create_app() -> FastAPI:
    """The ASGI factory uvicorn calls in each worker process."""
    name = os.environ.get("BENCH_REFERENCE_APP", "hello")
    if name == "hello":
        return hello_app()
    if name == "one-insert":
        return one_insert_app(os.environ["BENCH_REFERENCE_DATABASE"])
    raise RuntimeError(f"BENCH_REFERENCE_APP must be one of {', '.join(APPS)}, not {name!r}")


def hello_app() -> FastAPI:
    app = FastAPI(title="bench hello", openapi_url=None)

    @app.post("/hello")
    async def hello(body: RowIn) -> RowOut:
        return RowOut(id=str(uuid.uuid4()), external_id=body.external_id, created_at=_now())

    return app


def one_insert_app(database: str) -> FastAPI:
    if database.startswith(("postgresql://", "postgres://", "host=", "dbname=")):
        insert, close = _postgres_insert(database)
    else:
        insert, close = _sqlite_insert(database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        close()

    app = FastAPI(title="bench one-insert", openapi_url=None, lifespan=lifespan)

    @app.post("/one-insert")
    def one_insert(body: RowIn) -> RowOut:
        row = RowOut(id=str(uuid.uuid4()), external_id=body.external_id, created_at=_now())
        insert(row)
        return row

    return app


def _now() -> datetime:
    return datetime.now(UTC)


Insert = Callable[[RowOut], None]


def _postgres_insert(conninfo: str) -> tuple[Insert, Callable[[], None]]:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(
        conninfo,
        min_size=int(os.environ.get("BENCH_REFERENCE_POOL_MIN", "8")),
        max_size=int(os.environ.get("BENCH_REFERENCE_POOL_MAX", "8")),
        open=True,
    )
    pool.wait(timeout=30)
    statement = f"INSERT INTO {REFERENCE_TABLE} (id, external_id, created_at) VALUES (%s, %s, %s)"  # noqa: S608

    def insert(row: RowOut) -> None:
        # The pool's context commits the transaction (BEGIN is implicit) when it ends.
        with pool.connection() as connection:
            connection.execute(statement, (uuid.UUID(row.id), row.external_id, row.created_at))

    return insert, pool.close


def _sqlite_insert(path: str) -> tuple[Insert, Callable[[], None]]:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    # The platform's page cache and memory map (userlink.db), so that only the stack differs.
    connection.execute("PRAGMA cache_size=-65536")
    connection.execute("PRAGMA mmap_size=268435456")
    lock = threading.Lock()  # one connection, used by one thread at a time
    statement = f"INSERT INTO {REFERENCE_TABLE} (id, external_id, created_at) VALUES (?, ?, ?)"  # noqa: S608

    def insert(row: RowOut) -> None:
        values: tuple[Any, ...] = (row.id, row.external_id, row.created_at.isoformat())
        with lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(statement, values)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    return insert, connection.close
