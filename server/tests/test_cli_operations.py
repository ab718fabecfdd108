"""The CLI as an operator first meets it: the version, what `migrate` did, a busy port."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from userlink.cli import cli
from userlink_testing.live import TEST_SECRET


def invoke(monkeypatch, database_url: str, *args: str):
    monkeypatch.setenv("USERLINK_DATABASE_URL", database_url)
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "test")
    monkeypatch.setenv("USERLINK_SECRET_KEY", TEST_SECRET)
    return CliRunner().invoke(cli, list(args))


def test_version_is_printed(monkeypatch, tmp_path):
    result = invoke(monkeypatch, f"sqlite:///{tmp_path}/u.db", "--version")

    assert result.exit_code == 0
    assert result.output.startswith("userlink 0.")


def test_migrate_says_it_created_the_schema_then_that_nothing_was_left(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"

    first = invoke(monkeypatch, url, "migrate")
    second = invoke(monkeypatch, url, "migrate")

    assert first.exit_code == 0, first.output
    assert first.output.startswith("created the schema: applied ")
    assert second.output.startswith("database is at the latest migration (")


def test_serve_on_a_busy_port_says_so_in_one_line(monkeypatch, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("USERLINK_PORT", str(port))

        result = invoke(monkeypatch, f"sqlite:///{tmp_path}/u.db", "serve")

    assert result.exit_code == 1
    assert f"Port {port} on 127.0.0.1 is in use" in result.output
    assert "USERLINK_PORT" in result.output
    assert "serving on" not in result.output
