"""Fixtures of the server tests only (the shared ones are in the root conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner, Result

from userlink.cli import cli
from userlink_testing.backends import empty_all_tables
from userlink_testing.live import TEST_SECRET, LiveServer, start_live_server, test_settings


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
def run(monkeypatch, database_url, live) -> Callable[..., Result]:
    """`userlink …` as an operator would type it, on the database the live server uses;
    `stdin=` is what they would type at the prompts."""
    monkeypatch.setenv("USERLINK_DATABASE_URL", database_url)
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "test")
    monkeypatch.setenv("USERLINK_SECRET_KEY", TEST_SECRET)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=stdin)

    return invoke
