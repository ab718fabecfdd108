"""The operator CLI against the test database, and the keys it prints against the live server."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from userlink.config import Settings
from userlink.kit import secrets
from userlink.models import api_keys, apps
from userlink_testing.factories.devices import bearer, issue_code
from userlink_testing.factories.records import count_rows

TOKEN = re.compile(r"\bul[ksar]_[0-9A-Za-z]{46}\b")


def field(output: str, name: str) -> str:
    """The value printed after `name` on its line, e.g. `key id   <uuid>`."""
    match = re.search(rf"^{name}\s+(\S+)", output, re.MULTILINE)
    assert match is not None, output
    return match.group(1)


def test_apps_create_prints_the_app_id_and_its_secret_once(run, runtime):
    result = run("apps", "create", "Shop app")

    assert result.exit_code == 0, result.output
    assert TOKEN.findall(result.output) == [field(result.output, "app secret")]
    assert secrets.parse_kind(field(result.output, "app secret")) is secrets.SecretKind.APP_SECRET
    assert count_rows(runtime, apps, name="Shop app") == 1


def test_apps_list_never_shows_a_secret(run):
    run("apps", "create", "Shop app")

    result = run("apps", "list")

    assert result.exit_code == 0, result.output
    assert "Shop app" in result.output
    assert TOKEN.findall(result.output) == []


def test_apps_create_refuses_an_impossible_code_lifetime(run, runtime):
    result = run("apps", "create", "Shop app", "--code-lifetime", "5")

    assert result.exit_code == 1
    assert "INVALID_CODE_LIFETIME" in result.output
    assert count_rows(runtime, apps) == 0


def test_keys_create_prints_a_key_that_works_on_the_live_server(run, api, tenant):
    result = run("keys", "create", str(tenant.app_id), "--scope", "user.link")

    key = field(result.output, "API key")
    assert result.exit_code == 0, result.output
    assert TOKEN.findall(result.output) == [key]
    assert len(issue_code(api, key, "alice")) == 128


def test_keys_create_with_several_scopes_grants_them_all(run, tenant):
    result = run(
        "keys", "create", str(tenant.app_id), "--scope", "user.read", "--scope", "user.delete"
    )

    assert result.exit_code == 0, result.output
    assert re.search(r"^scopes\s+user\.delete user\.read$", result.output, re.MULTILINE)


def test_keys_create_gives_the_admin_scope_that_undo_takes(run, tenant):
    result = run("keys", "create", str(tenant.app_id), "--scope", "user.admin")

    assert result.exit_code == 0, result.output
    assert "scopes   user.admin" in result.output


def test_keys_create_refuses_an_unknown_scope(run, tenant, runtime):
    result = run("keys", "create", str(tenant.app_id), "--scope", "user.superuser")

    assert result.exit_code == 1
    assert "INVALID_SCOPES" in result.output
    assert count_rows(runtime, api_keys, app_id=tenant.app_id) == 3


def test_keys_create_refuses_a_lifetime_over_a_year(run, tenant, runtime):
    result = run("keys", "create", str(tenant.app_id), "--scope", "user.link", "--days", "366")

    assert result.exit_code == 1
    assert "INVALID_KEY_LIFETIME" in result.output
    assert count_rows(runtime, api_keys, app_id=tenant.app_id) == 3


def test_keys_create_refuses_the_eleventh_active_key(run, tenant, runtime):
    for _ in range(7):
        run("keys", "create", str(tenant.app_id), "--scope", "user.read")

    result = run("keys", "create", str(tenant.app_id), "--scope", "user.read")

    assert result.exit_code == 1
    assert "TOO_MANY_ACTIVE_API_KEYS" in result.output
    assert count_rows(runtime, api_keys, app_id=tenant.app_id) == 10


def test_keys_create_for_an_unknown_app_is_refused(run):
    result = run("keys", "create", "00000000-0000-0000-0000-000000000000", "--scope", "user.link")

    assert result.exit_code == 1
    assert "APP_NOT_FOUND" in result.output


def test_keys_create_with_an_app_id_that_is_not_an_id_is_a_usage_error(run):
    result = run("keys", "create", "my-app", "--scope", "user.link")

    assert result.exit_code == 2
    assert "is not an id" in result.output


def test_keys_list_shows_hint_and_state_but_never_the_key(run, api, tenant):
    created = run("keys", "create", str(tenant.app_id), "--scope", "user.link", "--name", "ci")
    key = field(created.output, "API key")

    table = run("keys", "list", str(tenant.app_id))
    listed = run("keys", "list", str(tenant.app_id), "--json")

    [entry] = [entry for entry in json.loads(listed.output) if entry["name"] == "ci"]
    assert table.exit_code == 0, table.output
    assert entry["hint"] == f"{key[:8]}…{key[-4:]}"
    assert entry["state"] == "active"
    assert entry["last_used_at"] is None
    [line] = [line for line in table.output.splitlines() if entry["id"] in line]
    assert entry["hint"] in line
    assert " active " in line
    for output in (table.output, listed.output):
        assert key not in output
        assert TOKEN.findall(output) == []


def test_keys_list_shows_the_last_use(run, api, tenant):
    issue_code(api, tenant.link_key, "alice")

    result = run("keys", "list", str(tenant.app_id), "--json")

    [entry] = [e for e in json.loads(result.output) if e["hint"].endswith(tenant.link_key[-4:])]
    assert entry["last_used_at"] is not None


def test_keys_revoke_makes_the_key_refused_on_the_live_server(run, api, tenant):
    created = run("keys", "create", str(tenant.app_id), "--scope", "user.link")
    key, key_id = field(created.output, "API key"), field(created.output, "key id")

    result = run("keys", "revoke", str(tenant.app_id), key_id)

    response = api.post("/users/auth-code", json={"external_id": "alice"}, headers=bearer(key))
    assert result.exit_code == 0, result.output
    assert f"{key_id} revoked at" in result.output
    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_REVOKED"


def test_revoked_key_stays_in_the_listing_as_revoked(run, tenant):
    created = run("keys", "create", str(tenant.app_id), "--scope", "user.link", "--name", "old")
    run("keys", "revoke", str(tenant.app_id), field(created.output, "key id"))

    result = run("keys", "list", str(tenant.app_id), "--json")

    [entry] = [entry for entry in json.loads(result.output) if entry["name"] == "old"]
    assert entry["state"] == "revoked"


def test_keys_revoke_of_an_unknown_key_is_refused(run, tenant):
    result = run("keys", "revoke", str(tenant.app_id), "00000000-0000-0000-0000-000000000000")

    assert result.exit_code == 1
    assert "API_KEY_NOT_FOUND" in result.output


def test_secret_command_prints_a_strong_secret(run):
    result = run("secret")

    assert result.exit_code == 0
    assert len(result.output.strip()) >= 64


def test_settings_refuse_a_short_secret_in_production():
    with pytest.raises(ValidationError, match="USERLINK_SECRET_KEY"):
        Settings(environment="production", secret_key="short")


def test_settings_refuse_the_development_secret_in_production(monkeypatch):
    monkeypatch.delenv("USERLINK_SECRET_KEY", raising=False)

    with pytest.raises(ValidationError, match="USERLINK_SECRET_KEY"):
        Settings(environment="production")


def test_settings_accept_a_short_secret_in_development():
    settings = Settings(environment="development", secret_key="short")

    assert settings.secret_key.get_secret_value() == "short"


def test_cli_refuses_to_run_in_production_with_a_weak_secret(run, monkeypatch, runtime):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("USERLINK_SECRET_KEY", "weak-secret-value")

    result = run("apps", "create", "Shop app")

    assert result.exit_code == 2
    assert "Invalid settings" in result.output
    assert "USERLINK_SECRET_KEY must be at least 32 characters" in result.output
    assert count_rows(runtime, apps) == 0


def test_cli_settings_error_never_prints_the_secret_or_the_database_password(run, monkeypatch):
    monkeypatch.setenv("USERLINK_ENVIRONMENT", "production")
    monkeypatch.setenv("USERLINK_SECRET_KEY", "weak-secret-value")
    monkeypatch.setenv("USERLINK_DATABASE_URL", "postgresql+psycopg://app:hunter2@db/userlink")

    result = run("apps", "list")

    assert result.exit_code == 2
    assert "weak-secret-value" not in result.output
    assert "hunter2" not in result.output
