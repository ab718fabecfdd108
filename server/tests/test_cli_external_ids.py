"""`userlink apps set` changes an app's placeholder lists: block, allow, and unlist (back to the
platform's default); the live server follows."""

from __future__ import annotations

import httpx

from userlink.models import apps
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import rows


def ask_for_code(api: httpx.Client, key: str, external_id: str) -> int:
    response = api.post("/users/auth-code", json={"external_id": external_id}, headers=bearer(key))
    return response.status_code


def test_apps_set_blocks_and_allows_external_ids(run, runtime, api, tenant):
    result = run(
        "apps",
        "set",
        str(tenant.app_id),
        "--block-external-id",
        "QA-Shared",
        "--block-external-id",
        "demo-user",
        "--allow-external-id",
        "test",
    )

    assert result.exit_code == 0, result.output
    assert "blocked external ids  'demo-user' 'qa-shared'" in result.output
    assert "allowed external ids  'test'" in result.output
    [stored] = rows(runtime, apps, id=tenant.app_id)
    assert sorted(stored["blocked_external_ids"]) == ["demo-user", "qa-shared"]
    assert [ask_for_code(api, tenant.link_key, v) for v in ("qa-shared", "test")] == [422, 200]


def test_apps_set_unlists_a_value_back_to_the_default(run, runtime, api, tenant):
    run("apps", "set", str(tenant.app_id), "--allow-external-id", "test")

    result = run("apps", "set", str(tenant.app_id), "--unlist-external-id", "TEST")

    assert result.exit_code == 0, result.output
    assert rows(runtime, apps, id=tenant.app_id)[0]["allowed_external_ids"] == []
    assert ask_for_code(api, tenant.link_key, "test") == 422


def test_apps_set_refuses_a_value_both_blocked_and_allowed(run, runtime, tenant):
    result = run(
        "apps",
        "set",
        str(tenant.app_id),
        "--block-external-id",
        "test",
        "--allow-external-id",
        "Test",
    )

    assert result.exit_code == 1
    assert "INVALID_EXTERNAL_ID_LIST" in result.output
    assert rows(runtime, apps, id=tenant.app_id)[0]["allowed_external_ids"] == []
