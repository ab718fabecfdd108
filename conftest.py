"""Fixtures shared by server/tests and tests/e2e: every test that asks for `live` runs once per
backend (SQLite, PostgreSQL) against a real server on a real socket, then the tables are emptied."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from userlink.runtime import Runtime
from userlink_testing.backends import BACKENDS, empty_all_tables, prepare_database
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.live import LiveServer, start_live_server, test_settings


@pytest.fixture(scope="session", autouse=True)
def data_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every command and server of the run uses a data directory of its own, never the
    developer's (whose settings file could say development)."""
    directory = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("USERLINK_DATA_DIR", str(directory))
        patch.delenv("USERLINK_ENV_FILE", raising=False)
        yield directory


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return prepare_database(backend, Path(tmp_path_factory.mktemp(f"db-{backend}")))


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[LiveServer]:
    server = start_live_server(test_settings(database_url))
    yield server
    server.stop()


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[LiveServer]:
    yield live_server
    live_server.clock.reset()
    empty_all_tables(live_server.runtime.database)
    live_server.runtime.lookups.clear()


@pytest.fixture
def limited_server(database_url, live_server) -> Iterator[Callable[..., LiveServer]]:
    """`limited_server(**settings)`: a server that enforces rate limits, with these settings, on
    the test database (the shared server enforces none, so other tests do not trip them)."""
    started: list[LiveServer] = []

    def start(**settings: object) -> LiveServer:
        server = start_live_server(test_settings(database_url, rate_limit_enabled=True, **settings))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    empty_all_tables(live_server.runtime.database)


@pytest.fixture
def runtime(live: LiveServer) -> Runtime:
    return live.runtime


@pytest.fixture
def api(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@dataclass(frozen=True)
class Tenant:
    app_id: uuid.UUID
    app_secret: str
    link_key: str
    read_key: str
    delete_key: str


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    created = make_app(runtime)
    return Tenant(
        app_id=created.app.id,
        app_secret=created.secret,
        link_key=make_key(runtime, created.app.id, scopes=("user.link",)),
        read_key=make_key(runtime, created.app.id, scopes=("user.read",)),
        delete_key=make_key(runtime, created.app.id, scopes=("user.delete",)),
    )
