"""A fresh, migrated database per backend, and what to say about it in a report."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.app import scratch_metadata
from userlink import migrate

POSTGRES_ENVS = ("USERLINK_BENCH_POSTGRES_URL", "USERLINK_TEST_POSTGRES_URL")
DEFAULT_POSTGRES_DATABASE = "userlink_bench"


@dataclass(frozen=True)
class PreparedDatabase:
    backend: str
    url: str
    description: str  # e.g. "SQLite 3.40.1 (WAL, file in a temp dir)"

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def postgres_server_url() -> str | None:
    """The PostgreSQL server to use, from the first of `POSTGRES_ENVS` that is set."""
    for name in POSTGRES_ENVS:
        value = os.environ.get(name)
        if value:
            return value
    return None


def prepare(backend: str, workdir: Path, *, postgres_database: str) -> PreparedDatabase:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'userlink-bench.db'}"
        description = f"SQLite {sqlite3.sqlite_version} (WAL file in a temp dir)"
    else:
        server = postgres_server_url()
        if server is None:
            raise RuntimeError(f"set {' or '.join(POSTGRES_ENVS)} to benchmark PostgreSQL")
        url = _recreate_postgres_database(server, postgres_database)
        description = f"PostgreSQL {_postgres_version(url)} (database {postgres_database})"
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        scratch_metadata.create_all(engine)
    finally:
        engine.dispose()
    return PreparedDatabase(backend=backend, url=url, description=description)


def _recreate_postgres_database(server_url: str, name: str) -> str:
    """Drop and create `name` on the server of `server_url`; never the tests' database."""
    base = make_url(server_url)
    tests_url = os.environ.get("USERLINK_TEST_POSTGRES_URL")
    if name in ("postgres", "template0", "template1") or (
        tests_url and make_url(tests_url).database == name
    ):
        raise RuntimeError(f"refusing to drop and recreate the database {name!r}")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()
