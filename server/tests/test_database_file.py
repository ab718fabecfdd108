"""The SQLite database holds every user's external id and payloads: `userlink migrate` creates
it, and its directory, readable by the operator's user only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from userlink.cli import cli
from userlink.db import build_engine
from userlink_testing.live import TEST_SECRET


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def migrate(monkeypatch, database: Path) -> str:
    url = f"sqlite:///{database}"
    monkeypatch.setenv("USERLINK_DATABASE_URL", url)
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "test")
    monkeypatch.setenv("USERLINK_SECRET_KEY", TEST_SECRET)
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    return url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migrate_creates_the_database_file_readable_by_its_owner_only(
    monkeypatch, tmp_path, permissive_umask
):
    database = tmp_path / "var" / "userlink.db"

    migrate(monkeypatch, database)

    assert mode(database) == 0o600


def test_migrate_creates_the_database_directory_for_its_owner_only(
    monkeypatch, tmp_path, permissive_umask
):
    database = tmp_path / "var" / "userlink.db"

    migrate(monkeypatch, database)

    assert mode(database.parent) == 0o700


def test_the_write_ahead_log_is_readable_by_its_owner_only(monkeypatch, tmp_path, permissive_umask):
    database = tmp_path / "var" / "userlink.db"
    engine = build_engine(migrate(monkeypatch, database))

    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE scratch (n INTEGER)")
    wal = database.with_name("userlink.db-wal")
    modes = {wal.name: mode(wal), "userlink.db-shm": mode(database.with_name("userlink.db-shm"))}
    engine.dispose()

    assert modes == {"userlink.db-wal": 0o600, "userlink.db-shm": 0o600}


def test_an_existing_database_file_keeps_its_mode(monkeypatch, tmp_path, permissive_umask):
    database = tmp_path / "userlink.db"
    database.touch(mode=0o640)

    migrate(monkeypatch, database)

    assert mode(database) == 0o640
