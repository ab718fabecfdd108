"""Engine per settings, and the one commit boundary (`Database.transaction`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from userlink.errors import UserlinkError


def build_engine(database_url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url)
    # hide_parameters: an error logged with its statement must not carry payloads or ids.
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def _sqlite_engine(database_url: str) -> Engine:
    engine = create_engine(
        database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        hide_parameters=True,
        # Connections are cheap for a file database, and a fresh one per checkout avoids holding
        # WAL snapshots across requests.
        poolclass=NullPool if ":memory:" not in database_url else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below), so every transaction takes the write lock up
        # front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
        # instead of waiting when another process wrote in between.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, engine: Engine, *, max_connections: int) -> None:
        self.engine = engine
        # How many units of work may run at once: the pool's connections, or one for SQLite,
        # where every transaction holds the write lock anyway.
        self.max_concurrent_transactions = 1 if engine.dialect.name == "sqlite" else max_connections

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work. Commits on success. A domain refusal rolls back, unless the error
        says what was recorded about it must stay (an audited replay, say)."""
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                yield connection
            except UserlinkError as error:
                if error.keep_changes:
                    transaction.commit()
                else:
                    transaction.rollback()
                raise
            except BaseException:
                transaction.rollback()
                raise
            else:
                transaction.commit()

    def dispose(self) -> None:
        self.engine.dispose()
