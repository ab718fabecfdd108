"""Engine per settings, and transactions on it (`Database.transaction`). The commit boundary that
callers use is `Runtime.unit_of_work`."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Table,
    TextClause,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from userlink.errors import UserlinkError

# SQLite's page cache for the process's one connection (its default is 2 MiB), and how much of
# the file it reads through a memory map instead of a system call per page: with the indexes of
# millions of payloads, the pages an upload touches no longer fit in the default cache.
SQLITE_CACHE_KIB = 65_536
SQLITE_MMAP_BYTES = 268_435_456

# How long the background checkpointer waits after a checkpoint before the next: the WAL holds
# at most about this much of the server's writes, and a checkpoint (with its fsync) copies all of
# them at once.
SQLITE_CHECKPOINT_PAUSE_SECONDS = 0.05
# SQLite's own threshold (pages in the WAL), restored when the background checkpointer stops.
_SQLITE_AUTOCHECKPOINT_PAGES = 1000

logger = logging.getLogger("userlink")

# The most rows `RowsInsert` puts in one statement; more go out in several.
_MOST_ROWS_PER_STATEMENT = 16


class RowsInsert:
    """A few rows into one table as ONE multi-row `INSERT … VALUES (…), (…)`, its form for each
    row count built once and cached. The other way, `execute(insert, [rows])`, is an executemany:
    psycopg runs it as a pipeline with its own sync, which costs several times the CPU of one
    statement for the two to six rows a request writes (docs/performance.md)."""

    # The most rows one statement holds; `execute` splits more.
    most_rows = _MOST_ROWS_PER_STATEMENT

    def __init__(self, table: Table, columns: tuple[str, ...]) -> None:
        self.table = table
        self._columns = columns
        self._statements: dict[int, TextClause] = {}

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), self.most_rows):
            chunk = rows[start : start + self.most_rows]
            connection.execute(self._statement(len(chunk)), self.parameters(chunk))

    def parameters(self, rows: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
        return {
            f"{prefix}{column}_{index}": row[column]
            for index, row in enumerate(rows)
            for column in self._columns
        }

    def fragment(self, count: int, prefix: str = "") -> tuple[str, list[BindParameter[Any]]]:
        """The statement's text for `count` rows and its typed bound values, their names
        prefixed (so that several can share one statement)."""
        rows = ", ".join(
            "(" + ", ".join(f":{prefix}{column}_{index}" for column in self._columns) + ")"
            for index in range(count)
        )
        sql = f"INSERT INTO {self.table.name} ({', '.join(self._columns)}) VALUES {rows}"  # noqa: S608 - names from the Table, values bound
        binds = [
            bindparam(f"{prefix}{column}_{index}", type_=self.table.c[column].type)
            for index in range(count)
            for column in self._columns
        ]
        return sql, binds

    def _statement(self, count: int) -> TextClause:
        statement = self._statements.get(count)
        if statement is None:
            # Text, not `insert(table).values([...])`: SQLAlchemy does not cache the compiled
            # form of a multi-row VALUES, and compiling it costs more than the pipeline it saves.
            # Every bound value is typed by its column, so values convert as `insert` does.
            sql, binds = self.fragment(count)
            statement = text(sql).bindparams(*binds)
            self._statements[count] = statement
        return statement


class RowUpdate:
    """One row's UPDATE by its id, in the same shape as `RowsInsert`, so that `WritesAtEnd` can
    put it in its one statement: `{"id": ..., <column>: <value>, ...}` per row."""

    most_rows = 1

    def __init__(self, table: Table, columns: tuple[str, ...]) -> None:
        self.table = table
        self._columns = columns
        self._keys = ("id", *columns)
        sql, binds = self.fragment(1)
        self._statement = text(sql).bindparams(*binds)

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            connection.execute(self._statement, self.parameters([row]))

    def parameters(self, rows: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
        [row] = rows
        return {f"{prefix}{key}_0": row[key] for key in self._keys}

    def fragment(self, count: int, prefix: str = "") -> tuple[str, list[BindParameter[Any]]]:
        if count != 1:
            raise ValueError("RowUpdate writes one row per statement")
        assignments = ", ".join(f"{column} = :{prefix}{column}_0" for column in self._columns)
        sql = f"UPDATE {self.table.name} SET {assignments} WHERE id = :{prefix}id_0"  # noqa: S608 - names from the Table, values bound
        binds = [bindparam(f"{prefix}{key}_0", type_=self.table.c[key].type) for key in self._keys]
        return sql, binds


class DeferredWrite(Protocol):
    """What `WritesAtEnd` can hold: `RowsInsert` or `RowUpdate`."""

    most_rows: int  # in one statement (and so in the combined one)

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None: ...
    def parameters(self, rows: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]: ...
    def fragment(self, count: int, prefix: str = "") -> tuple[str, list[BindParameter[Any]]]: ...


class WritesAtEnd:
    """Rows a unit of work writes when it ends, because nothing reads them back before then (its
    identity events, their webhook messages, the credentials, codes and installs it makes, a
    redeemed code's outcome). On PostgreSQL they go out as ONE statement, each write but the last
    in a data-modifying `WITH`: one round trip instead of one per write (foreign keys are checked
    at the statement's end, so a row may name one written beside it; no row may be written twice).
    Elsewhere, one statement each, in the order added."""

    _combined: ClassVar[dict[tuple[tuple[int, int], ...], TextClause]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._pending: list[tuple[DeferredWrite, list[dict[str, Any]]]] = []

    def add(self, write: DeferredWrite, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._pending.append((write, rows))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        combinable = len(pending) > 1 and all(
            len(rows) <= write.most_rows for write, rows in pending
        )
        if not combinable or self._connection.dialect.name != "postgresql":
            for write, rows in pending:
                write.execute(self._connection, rows)
            return
        parameters: dict[str, Any] = {}
        for number, (write, rows) in enumerate(pending):
            parameters.update(write.parameters(rows, prefix=f"w{number}_"))
        self._connection.execute(self._statement(pending), parameters)

    @classmethod
    def _statement(cls, pending: list[tuple[DeferredWrite, list[dict[str, Any]]]]) -> TextClause:
        shape = tuple((id(write), len(rows)) for write, rows in pending)
        statement = cls._combined.get(shape)
        if statement is None:
            parts, binds = [], []
            for number, (write, rows) in enumerate(pending):
                sql, typed = write.fragment(len(rows), prefix=f"w{number}_")
                parts.append(sql)
                binds.extend(typed)
            *first, last = parts
            withs = ", ".join(f"w{number} AS ({sql})" for number, sql in enumerate(first))
            statement = text(f"WITH {withs} {last}").bindparams(*binds)
            with cls._lock:
                # Bounded by the use cases' shapes (tables and row counts), a few dozen.
                cls._combined[shape] = statement
        return statement


class Savepoint:
    """A savepoint of the connection's transaction, sent through the driver as three plain
    statements: SQLAlchemy's `begin_nested` costs three times as much CPU for the same statements,
    once per request in a group of SQLite's grouped writes. Savepoints of this kind do not nest."""

    _NAME = "userlink_unit"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        connection.exec_driver_sql(f"SAVEPOINT {self._NAME}")

    def commit(self) -> None:
        self._connection.exec_driver_sql(f"RELEASE SAVEPOINT {self._NAME}")

    def rollback(self) -> None:
        self._connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self._NAME}")
        self.commit()


def build_engine(database_url: str, *, pool_size: int = 8, max_overflow: int = 0) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url)
    # No pre-ping: it costs a round trip per request. A connection the server closed fails its
    # request once and is replaced (SQLAlchemy invalidates the pool on a disconnect error).
    # hide_parameters: an error logged with its statement must not carry payloads or ids.
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        hide_parameters=True,
    )


def _create_private_file(database_url: str) -> None:
    """Create the SQLite file, and its directory when it does not exist yet, readable by this
    user only (0600 and 0700): it holds every user's external id and payloads. SQLite gives its
    WAL and shared-memory files the database file's mode."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _sqlite_engine(database_url: str) -> Engine:
    _create_private_file(database_url)
    # One long-lived connection per process: SQLite lets one transaction write at a time anyway,
    # so a pool only adds a connection and four PRAGMAs per request. `Database` serialises the
    # transactions of the process's threads on it.
    engine = create_engine(
        database_url,
        connect_args={"check_same_thread": False, "timeout": 30},
        hide_parameters=True,
        poolclass=StaticPool,
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
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class BackgroundCheckpoints:
    """SQLite's write-ahead log copied into the database file by a thread of its own.

    By default the connection that commits past 1,000 pages of log runs the checkpoint itself,
    inside its commit: for a server that is the one thread all writes go through, which then
    copies pages and waits for an fsync while every request of its group waits for the answer
    (measured: a sixth of the payload upload's throughput, and most of its p99;
    docs/performance.md). Here the server's connection never checkpoints; after commits this
    thread runs a PASSIVE checkpoint on its own connection (which never blocks a writer), at most
    once per `pause` seconds, in parallel with the writes.

    A checkpoint beside a busy writer never quite finishes (frames arrive while it copies), and
    SQLite starts the log over only after one has: the log would grow for as long as the writes
    go on, and every read look through it. So once the log holds `restart_after` pages, the
    thread asks new transactions to wait (`writers_may_go`), takes `pause_writes` (the process's
    write lock) once the transaction in flight has let it go, and copies the few frames left:
    that checkpoint finishes, and the next write starts the log over. (Without the asking, a
    writer that starts its next transaction at once wins the lock again, every time.)"""

    def __init__(
        self,
        path: str,
        pause_writes: threading.Lock,
        *,
        pause: float = SQLITE_CHECKPOINT_PAUSE_SECONDS,
        restart_after: int = _SQLITE_AUTOCHECKPOINT_PAGES,
    ) -> None:
        self._path = path
        self._pause_writes = pause_writes
        self._pause = pause
        self._restart_after = restart_after
        self._committed = threading.Event()
        self._stopping = threading.Event()
        self._writers_go = threading.Event()
        self._writers_go.set()
        self._thread = threading.Thread(
            target=self._run, name="userlink-sqlite-checkpoints", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def committed(self) -> None:
        """A write was committed: there is log to copy."""
        self._committed.set()

    def writers_may_go(self) -> None:
        """Before a transaction takes the write lock: waits while the log is being finished."""
        self._writers_go.wait()

    def stop(self) -> None:
        """After the last checkpoint the thread runs (what is left, SQLite copies when the last
        connection closes)."""
        self._stopping.set()
        self._committed.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.is_set():
                self._committed.wait()
                self._committed.clear()
                if self.checkpoint(connection) >= self._restart_after:
                    self._writers_go.clear()
                    try:
                        with self._pause_writes:
                            self.checkpoint(connection)
                    finally:
                        self._writers_go.set()
                self._stopping.wait(self._pause)
        finally:
            connection.close()

    @staticmethod
    def checkpoint(connection: sqlite3.Connection) -> int:
        """A PASSIVE checkpoint; the pages the log holds (0 when it failed)."""
        try:
            # fetchall: the statement runs to its end, so that this connection keeps no read
            # lock on the log (one would stop SQLite from starting it over).
            [(_busy, log_pages, _copied)] = connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchall()
        except sqlite3.Error as error:
            # Tried again after the next commit; meanwhile the log only grows.
            logger.warning("SQLite checkpoint failed: %s", error)
            return 0
        return int(log_pages)


class Database:
    def __init__(self, engine: Engine, *, max_connections: int) -> None:
        self.engine = engine
        is_sqlite = engine.dialect.name == "sqlite"
        # How many transactions may run at once: the pool's connections, or one for SQLite's one
        # connection (which every transaction would wait for anyway: it holds the write lock).
        self.max_concurrent_transactions = 1 if is_sqlite else max_connections
        self._one_at_a_time: threading.Lock | None = threading.Lock() if is_sqlite else None
        self._checkpoints: BackgroundCheckpoints | None = None

    def start_background_checkpoints(self) -> None:
        """SQLite in a file (a server's database): checkpoints from now on in a thread of their
        own, not in the commits (`BackgroundCheckpoints`). Nothing to do on PostgreSQL."""
        path = self.engine.url.database
        if self._one_at_a_time is None or not path or path == ":memory:" or self._checkpoints:
            return
        self._set_autocheckpoint(0)
        self._checkpoints = BackgroundCheckpoints(path, self._one_at_a_time)
        self._checkpoints.start()

    def stop_background_checkpoints(self) -> None:
        if self._checkpoints is None:
            return
        self._checkpoints.stop()
        self._checkpoints = None
        self._set_autocheckpoint(_SQLITE_AUTOCHECKPOINT_PAGES)

    def _set_autocheckpoint(self, pages: int) -> None:
        assert self._one_at_a_time is not None
        with self._one_at_a_time, self.engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(pages)}")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction. Commits on success. A domain refusal rolls back, unless the error
        says what was recorded about it must stay (an audited replay, say)."""
        serialised: AbstractContextManager[Any] = self._one_at_a_time or nullcontext()
        checkpoints = self._checkpoints
        if checkpoints is not None:
            checkpoints.writers_may_go()
        with serialised, self.engine.connect() as connection:
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
        if checkpoints is not None:
            checkpoints.committed()

    def dispose(self) -> None:
        self.engine.dispose()
