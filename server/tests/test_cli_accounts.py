"""`userlink accounts …`: dashboard accounts made on the database host; the password never an
argument; the account then logs in to the dashboard."""

from __future__ import annotations

import json

from userlink_testing.dashboard import dashboard_client, post_form


def test_accounts_create_with_password_on_stdin_can_log_in(run, live):
    result = run(
        "accounts",
        "create",
        "Dev@Example.com",
        "--org",
        "Acme",
        "--role",
        "developer",
        "--password-stdin",
        stdin="a long enough password\n",
    )

    with dashboard_client(live.url) as client:
        login = post_form(
            client,
            "/dashboard/login",
            {"email": "dev@example.com", "password": "a long enough password"},
        )

    assert result.exit_code == 0, result.output
    assert "dev@example.com  developer of 'Acme'" in result.output
    assert "a long enough password" not in result.output
    assert login.status_code == 303


def test_accounts_create_asks_for_the_password_twice(run):
    result = run(
        "accounts",
        "create",
        "owner@example.com",
        "--org",
        "Acme",
        stdin="a long enough password\na long enough password\n",
    )

    assert result.exit_code == 0, result.output
    assert "owner of 'Acme'" in result.output


def test_accounts_create_refuses_a_short_password(run):
    result = run(
        "accounts",
        "create",
        "owner@example.com",
        "--org",
        "Acme",
        "--password-stdin",
        stdin="short\n",
    )

    assert result.exit_code == 2
    assert "at least 12 characters" in result.output


def test_accounts_create_refuses_a_second_account_with_the_same_email(run):
    first = run(
        "accounts",
        "create",
        "a@example.com",
        "--org",
        "Acme",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    second = run(
        "accounts",
        "create",
        "A@EXAMPLE.COM",
        "--org",
        "Other",
        "--password-stdin",
        stdin="a long enough password\n",
    )

    assert first.exit_code == 0, first.output
    assert second.exit_code == 1
    assert "ACCOUNT_EXISTS" in second.output


def test_accounts_list_shows_organisations_and_members(run):
    run(
        "accounts",
        "create",
        "op@example.com",
        "--org",
        "Platform",
        "--operator",
        "--password-stdin",
        stdin="a long enough password\n",
    )

    result = run("accounts", "list")
    listed = run("accounts", "list", "--json")

    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "op@example.com" in line]
    assert line.split()[0] == "Platform"
    [organisation] = json.loads(listed.output)
    assert organisation["name"] == "Platform"
    [member] = organisation["members"]
    assert (member["email"], member["role"], member["totp"]) == ("op@example.com", "owner", False)
