"""SQLite's write-ahead log is copied into the database file by a thread beside the writes, not
inside their commits (db.BackgroundCheckpoints); on PostgreSQL there is nothing to copy."""

from __future__ import annotations

import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from userlink.db import Database, build_engine
from userlink.http.app import create_app_for
from userlink.runtime import Runtime, build_runtime
from userlink_testing.backends import prepare_database
from userlink_testing.clock import ShiftableClock
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer
from userlink_testing.live import serve_app
from userlink_testing.live import test_settings as settings_for

CHECKPOINT_THREAD = "userlink-sqlite-checkpoints"


@contextmanager
def served(database_url: str) -> Iterator[tuple[httpx.Client, Runtime]]:
    """The application with its start-up and shut-down, as `userlink serve` runs it."""
    clock = ShiftableClock()
    runtime = build_runtime(settings_for(database_url), clock)
    server = serve_app(create_app_for(runtime), runtime, clock, lifespan=True)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client, runtime
    finally:
        server.stop()


def issue_codes(client: httpx.Client, runtime: Runtime, count: int) -> None:
    app = make_app(runtime)
    key = make_key(runtime, app.app.id, scopes=("user.link",))
    for n in range(count):
        answer = client.post("/users/auth-code", json={"external_id": f"u{n}"}, headers=bearer(key))
        assert answer.status_code == 200, answer.text


def codes_in_the_file(path: Path) -> int | None:
    """The codes the database file itself holds, the log left aside (None: caught mid-copy)."""
    try:
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
            return int(reader.execute("SELECT count(*) FROM auth_codes").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def autocheckpoint_pages(runtime: Runtime) -> int:
    with runtime.database.transaction() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def checkpoint_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == CHECKPOINT_THREAD]


def test_a_few_writes_reach_the_database_file_without_a_thousand_pages_of_log(tmp_path):
    url = prepare_database("sqlite", tmp_path)
    path = tmp_path / "userlink-test.db"
    with served(url) as (client, runtime):
        issue_codes(client, runtime, 3)
        # SQLite's own rule would leave three codes in the log until it held 1,000 pages.
        deadline = time.monotonic() + 20
        while codes_in_the_file(path) != 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert codes_in_the_file(path) == 3


def test_the_servers_commits_leave_the_copying_to_a_thread_that_ends_at_shutdown(tmp_path):
    url = prepare_database("sqlite", tmp_path)
    with served(url) as (client, runtime):
        issue_codes(client, runtime, 1)
        assert autocheckpoint_pages(runtime) == 0
        assert checkpoint_threads() == [CHECKPOINT_THREAD]
    assert checkpoint_threads() == []


def test_on_postgresql_no_thread_is_started_and_writes_are_served(backend, database_url, live):
    if backend != "postgresql":
        pytest.skip("on SQLite, the tests above")
    with served(database_url) as (client, runtime):
        issue_codes(client, runtime, 2)
        assert checkpoint_threads() == []


def log_restarts(path: Path) -> int:
    """How many times SQLite has started the log over: its header's checkpoint sequence number."""
    with open(f"{path}-wal", "rb") as log:
        return int(struct.unpack(">4I", log.read(16))[3])


def test_the_log_starts_over_while_a_writer_keeps_writing(tmp_path):
    """A checkpoint beside a writer that never pauses never quite finishes, and SQLite starts
    the log over only after one has: without the checkpoint taken under the write lock, this
    writer's log never started over (and grew by every row it wrote)."""
    path = tmp_path / "busy.db"
    database = Database(build_engine(f"sqlite:///{path}"), max_connections=1)
    with database.transaction() as connection:
        connection.exec_driver_sql("CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
    database.start_background_checkpoints()
    rows = [("x" * 2000,)] * 20
    try:
        first = log_restarts(path)
        deadline = time.monotonic() + 30
        while log_restarts(path) < first + 3 and time.monotonic() < deadline:
            with database.transaction() as connection:
                connection.exec_driver_sql("DELETE FROM filler WHERE id % 2 = 0")
                connection.exec_driver_sql("INSERT INTO filler (text) VALUES (?)", rows)
        assert log_restarts(path) >= first + 3
    finally:
        database.stop_background_checkpoints()
        database.dispose()
