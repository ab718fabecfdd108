"""Fixtures of the server tests only (the shared ones are in the root conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from userlink.cli import cli
from userlink_testing.live import TEST_SECRET


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
