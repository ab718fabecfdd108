"""The CLI prints one line per command; a failure is `error: <CODE>: <message>` on stderr with
exit status 1."""

from __future__ import annotations

from typer.testing import CliRunner

from device_app.cli import cli


def test_a_failure_prints_its_code_on_stderr_and_exits_1(tmp_path):
    result = CliRunner().invoke(cli, ["--device", str(tmp_path / "phone"), "record", "trip", "{"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: INVALID_PAYLOAD: not JSON")


def test_status_of_a_new_device_needs_no_network(tmp_path):
    result = CliRunner().invoke(cli, ["--device", str(tmp_path / "phone"), "status"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "not logged in; no platform user on this device\n"


def test_a_bad_setting_is_refused_with_its_code(tmp_path):
    result = CliRunner().invoke(
        cli, ["--device", str(tmp_path / "phone"), "--diagonal", "-1", "status"]
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("error: INVALID_SETTINGS: diagonal")
