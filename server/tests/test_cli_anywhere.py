"""The CLI works from any directory, reads its settings the same way for every command
(environment, `--env-file`, the data directory's settings file), says in one line what is wrong
with a database it cannot use, and answers `--json`; `migrate status|history|downgrade` and
`doctor` tell an operator where things stand."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from userlink import migrate
from userlink.cli import cli
from userlink_testing.live import TEST_SECRET


@pytest.fixture
def elsewhere(monkeypatch, tmp_path) -> Path:
    """A shell in a directory of its own, with no USERLINK_* set but the data directory."""
    for name in list(os.environ):
        if name.startswith("USERLINK_") and not name.startswith("USERLINK_TEST_"):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("USERLINK_DATA_DIR", str(data))
    workdir = tmp_path / "somewhere" / "else"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    return data


def userlink(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_the_default_database_is_under_the_data_directory_whatever_the_directory(
    elsewhere, monkeypatch
):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")

    migrated = userlink("migrate")
    userlink("apps", "create", "Shop")
    listed = userlink("apps", "list", "--json")
    shown = userlink("settings")

    assert migrated.exit_code == 0, migrated.output
    assert (elsewhere / "userlink.db").is_file()
    assert not list(Path.cwd().iterdir())
    assert [app["name"] for app in json.loads(listed.output)] == ["Shop"]
    assert f"data directory  {elsewhere}" in shown.output
    assert f"sqlite:///{elsewhere}/userlink.db" in shown.output


def test_after_make_run_the_data_directory_says_development_for_every_command(elsewhere):
    initialised = userlink("settings", "--init-development")

    userlink("migrate")
    created = userlink("apps", "create", "Shop")
    app_id = created.output.split()[2]
    keys = userlink("keys", "list", app_id, "--json")

    assert f"wrote {elsewhere / 'userlink.env'}" in initialised.output
    assert created.exit_code == 0, created.output
    assert keys.exit_code == 0, keys.output
    assert json.loads(keys.output) == []


def test_without_any_settings_a_command_says_what_to_set_in_one_line(elsewhere):
    result = userlink("apps", "list")

    assert result.exit_code == 2
    assert "USERLINK_SECRET_KEY must be at least 32 characters" in result.output
    assert "USERLINK_ENVIRONMENT=development" in result.output
    assert "Traceback" not in result.output


def test_env_file_gives_every_setting(elsewhere, tmp_path, database_url, live):
    settings = tmp_path / "production.env"
    settings.write_text(
        f"USERLINK_DATABASE_URL={database_url}\n"
        "USERLINK_ENVIRONMENT=test\n"
        f"USERLINK_SECRET_KEY={TEST_SECRET}\n"
    )

    created = userlink("--env-file", str(settings), "apps", "create", "From a file")
    listed = userlink("--env-file", str(settings), "apps", "list", "--json")

    assert created.exit_code == 0, created.output
    assert [app["name"] for app in json.loads(listed.output)] == ["From a file"]


def test_the_environment_wins_over_the_env_file(elsewhere, tmp_path, monkeypatch):
    settings = tmp_path / "u.env"
    settings.write_text("USERLINK_ENVIRONMENT=development\nUSERLINK_DATA_DIR=/nonexistent\n")
    monkeypatch.setenv("USERLINK_ENV_FILE", str(settings))

    shown = userlink("settings")

    assert shown.exit_code == 0, shown.output
    assert f"data directory  {elsewhere}" in shown.output
    assert f"settings file   {settings}" in shown.output


def test_a_missing_env_file_is_one_line(elsewhere, tmp_path):
    result = userlink("--env-file", str(tmp_path / "missing.env"), "apps", "list")

    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Cannot read the settings: settings file {tmp_path / 'missing.env'} does not exist"
    )


def test_a_database_that_cannot_be_opened_is_one_line(elsewhere, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")
    monkeypatch.setenv("USERLINK_DATABASE_URL", f"sqlite:///{blocker}/userlink.db")

    for command in (["apps", "list"], ["migrate"], ["migrate", "status"]):
        result = userlink(*command)

        assert result.exit_code == 1, command
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "Cannot open the database" in result.output


def test_a_database_without_schema_says_to_migrate(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")

    result = userlink("keys", "list", "00000000-0000-0000-0000-000000000000")

    assert result.exit_code == 1
    assert "has no schema yet" in result.output
    assert "run `userlink migrate`" in result.output


def test_an_unreachable_postgresql_is_one_line(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")
    monkeypatch.setenv("USERLINK_DATABASE_URL", "postgresql+psycopg://nobody:pw@127.0.0.1:1/x")

    result = userlink("apps", "list")

    assert result.exit_code == 1
    assert result.output.startswith("Cannot open the database postgresql+psycopg://nobody:***@")
    assert len(result.output.strip().splitlines()) == 1


def test_migrate_status_history_and_downgrade(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")

    fresh = userlink("migrate", "status", "--json")
    userlink("migrate")
    current = userlink("migrate", "status")
    downgraded = userlink("migrate", "downgrade", "0004", "--yes")
    behind = userlink("migrate", "status", "--json")
    history = userlink("migrate", "history", "--json")

    assert fresh.exit_code == 1
    assert json.loads(fresh.output)["current"] is None
    assert json.loads(fresh.output)["pending"][0] == "0001"
    assert current.exit_code == 0
    assert "up to date" in current.output
    steps = json.loads(history.output)
    revisions = [step["revision"] for step in steps]
    # Down through every migration after 0004, each one's downgrade run.
    assert downgraded.output.strip() == f"downgraded {migrate.head_revision()} -> 0004"
    assert behind.exit_code == 1
    assert json.loads(behind.output)["pending"] == revisions[revisions.index("0004") + 1 :]
    assert revisions[:2] == ["0001", "0002"]
    assert [step["revision"] for step in steps if step["current"]] == ["0004"]
    assert [step["applied"] for step in steps][-1] is False


def test_migrate_downgrade_to_an_unknown_revision_is_refused(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")

    result = userlink("migrate", "downgrade", "9999", "--yes")

    assert result.exit_code == 2
    assert "No migration '9999'" in result.output


def test_migrate_downgrade_asks_first(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")
    userlink("migrate")

    refused = userlink("migrate", "downgrade", "0004", stdin="n\n")
    status = userlink("migrate", "status")

    assert refused.exit_code == 1
    assert status.exit_code == 0


def test_doctor_passes_on_a_ready_platform(run, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    result = run("doctor")
    listed = run("doctor", "--json")

    assert result.exit_code == 0, result.output
    assert [check["name"] for check in json.loads(listed.output)] == [
        "settings",
        "database",
        "migrations",
        "rate limits",
    ]
    assert all(check["ok"] for check in json.loads(listed.output))


def test_doctor_says_to_migrate_a_database_behind(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")

    result = userlink("doctor")

    assert result.exit_code == 1
    assert "FAIL  migrations" in result.output
    assert "fix: run `userlink migrate`" in result.output


def test_doctor_fails_an_unreachable_database_and_rate_limit_storage(elsewhere, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "development")
    monkeypatch.setenv("USERLINK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    monkeypatch.setenv("USERLINK_RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1/0")

    result = userlink("doctor", "--json")

    checks = {check["name"]: check for check in json.loads(result.output)}
    assert result.exit_code == 1
    assert checks["database"]["ok"] is False
    assert "migrations" not in checks
    assert checks["rate limits"]["ok"] is False
    assert "Redis" in checks["rate limits"]["fix"]


def test_doctor_checks_a_shared_redis(run, monkeypatch):
    redis_url = os.environ.get("USERLINK_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set USERLINK_TEST_REDIS_URL=redis://127.0.0.1:6379/14 to run it")
    monkeypatch.setenv("USERLINK_RATE_LIMIT_STORAGE_URL", redis_url)

    result = run("doctor", "--json")

    checks = {check["name"]: check for check in json.loads(result.output)}
    assert checks["rate limits"] == {
        "name": "rate limits",
        "ok": True,
        "detail": f"shared storage {redis_url} answers",
        "fix": "",
    }


def test_doctor_names_a_settings_problem(elsewhere):
    result = userlink("doctor")

    assert result.exit_code == 1
    assert "FAIL  settings" in result.output
    assert "USERLINK_SECRET_KEY" in result.output
