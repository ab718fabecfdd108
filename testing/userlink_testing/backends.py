"""The two database backends every test runs on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from userlink import migrate
from userlink.db import Database, build_engine
from userlink.models import metadata

POSTGRES_ENV = "USERLINK_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "USERLINK_TEST_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get(REQUIRE_POSTGRES_ENV):
        pytest.fail(f"{POSTGRES_ENV} is not set, and this run requires PostgreSQL")
    pytest.skip(
        f"PostgreSQL tests skipped: set {POSTGRES_ENV}="
        "postgresql+psycopg://postgres@127.0.0.1:5432/<database> to run them"
    )


def prepare_database(backend: str, workdir: Path) -> str:
    """A migrated, empty database for this backend; its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'userlink-test.db'}"
    else:
        url = postgres_url_or_skip()
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
    return url


def empty_all_tables(database: Database) -> None:
    with database.transaction() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


__all__ = ["BACKENDS", "build_engine", "empty_all_tables", "prepare_database"]
