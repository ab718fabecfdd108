"""Each process keeps the API keys (and apps) it read for `credential_cache_seconds`: a change made
by another process (the CLI, another worker) bites within that bound; one made by the process
itself bites at once."""

from __future__ import annotations

from userlink.kit.clock import SystemClock
from userlink.runtime import build_runtime
from userlink_testing.factories.api_keys import revoke_key_by_token
from userlink_testing.factories.apps import update_app

CODE_ROUTE = "/users/auth-code"


def issue(api, key):
    return api.post(
        CODE_ROUTE, json={"external_id": "alice"}, headers={"Authorization": f"Bearer {key}"}
    )


def test_a_key_revoked_by_another_process_is_refused_once_the_cache_bound_passes(api, tenant, live):
    assert issue(api, tenant.link_key).status_code == 200
    other_process = build_runtime(live.runtime.settings, SystemClock())
    revoke_key_by_token(other_process, tenant.app_id, tenant.link_key)
    other_process.database.dispose()

    live.clock.advance(seconds=live.runtime.settings.credential_cache_seconds + 0.1)
    response = issue(api, tenant.link_key)

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_REVOKED"


def test_a_key_revoked_by_the_serving_process_is_refused_at_once(api, tenant, runtime):
    assert issue(api, tenant.link_key).status_code == 200

    revoke_key_by_token(runtime, tenant.app_id, tenant.link_key)
    response = issue(api, tenant.link_key)

    assert response.json()["errorCode"] == "API_KEY_REVOKED"


def test_an_app_setting_changed_by_another_process_bites_once_the_cache_bound_passes(
    api, tenant, live
):
    body = {"installation_nonce": "n" * 32, "device": {"platform": "android"}}
    code = issue(api, tenant.link_key).json()["authentication_code"]
    assert api.post("/sdk/v1/users", json={**body, "authentication_code": code}).status_code == 200
    other_process = build_runtime(live.runtime.settings, SystemClock())
    update_app(other_process, tenant.app_id, is_remote_enabled=False)
    other_process.database.dispose()

    live.clock.advance(seconds=live.runtime.settings.credential_cache_seconds + 0.1)
    code = issue(api, tenant.link_key).json()["authentication_code"]
    response = api.post(
        "/sdk/v1/users", json={**body, "installation_nonce": "m" * 32, "authentication_code": code}
    )

    assert response.status_code == 403
    assert response.json()["errorCode"] == "APP_DISABLED"
