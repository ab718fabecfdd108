"""Engine per settings, and the one commit point (`Database.transaction`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from customer_backend.models import metadata


def build_engine(database_url: str) -> Engine:
    if make_url(database_url).get_backend_name() == "sqlite":
        return _sqlite_engine(database_url)
    return create_engine(database_url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(database_url: str) -> Engine:
    engine = create_engine(
        database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=NullPool if ":memory:" not in database_url else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below), so a transaction that reads and then writes takes
        # the write lock up front and waits for it, instead of failing with SQLITE_BUSY.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One short unit of work: commits on success, rolls back on any error."""
        with self.engine.begin() as connection:
            yield connection

    def create_tables(self) -> None:
        """Creates missing tables (an example's shortcut; see README, "Schema")."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
