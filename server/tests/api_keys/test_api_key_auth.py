"""API keys at the door of server-to-server routes, and refused at the door of SDK routes
(DESIGN §4): every bad credential gets its own errorCode and lets nothing through."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest

from userlink.api_keys import service as api_keys
from userlink.api_keys.errors import TooManyApiKeys
from userlink.kit import secrets
from userlink.models import api_keys as api_keys_table
from userlink.models import auth_codes, installs
from userlink_testing.factories.api_keys import key_by_token, make_key, revoke_key_by_token
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    redeem,
    redeem_body,
)
from userlink_testing.factories.records import audit_rows, count_rows

ROUTE = "/users/auth-code"
LEAK_EVENT = "api_key.presented_on_sdk_route"


def ask_for_code(api: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return api.post(ROUTE, json={"external_id": "alice"}, headers=headers)


def test_request_without_authorization_is_refused_as_missing_credentials(api, tenant, runtime):
    response = ask_for_code(api, {})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "MISSING_CREDENTIALS"
    assert count_rows(runtime, auth_codes) == 0


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-a-key", id="not-a-key"),
        pytest.param("Bearer ulk_tooshort", id="truncated"),
        pytest.param("Bearer", id="scheme-without-token"),
        pytest.param("Bearer {key} {key}", id="two-tokens"),
        pytest.param("Bearer {key}x", id="one-character-too-long"),
        pytest.param("{key}", id="key-without-scheme"),
        pytest.param("Token {key}", id="other-scheme"),
        pytest.param("Basic {basic}", id="basic-scheme"),
    ],
)
def test_malformed_authorization_is_refused_as_an_invalid_api_key(
    api, tenant, runtime, authorization
):
    basic = base64.b64encode(f"{tenant.app_id}:{tenant.link_key}".encode()).decode()

    response = ask_for_code(
        api, {"Authorization": authorization.format(key=tenant.link_key, basic=basic)}
    )

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_API_KEY"
    assert count_rows(runtime, auth_codes) == 0


def test_key_with_a_broken_checksum_is_refused(api, tenant, runtime):
    next_digit = secrets.BASE62[(secrets.BASE62.index(tenant.link_key[-1]) + 1) % 62]
    broken = tenant.link_key[:-1] + next_digit

    response = ask_for_code(api, bearer(broken))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_API_KEY"
    assert count_rows(runtime, auth_codes) == 0


def test_unknown_well_formed_key_is_refused(api, tenant, runtime):
    unknown = secrets.generate(secrets.SecretKind.API_KEY)

    response = ask_for_code(api, bearer(unknown))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_API_KEY"
    assert count_rows(runtime, auth_codes) == 0


def test_scheme_is_case_insensitive(api, tenant):
    response = ask_for_code(api, {"Authorization": f"bearer {tenant.link_key}"})

    assert response.status_code == 200


def test_revoked_key_is_refused(api, tenant, runtime):
    revoke_key_by_token(runtime, tenant.app_id, tenant.link_key)

    response = ask_for_code(api, bearer(tenant.link_key))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_REVOKED"
    assert count_rows(runtime, auth_codes) == 0


def test_key_expires_after_its_default_lifetime_of_a_year(api, tenant, runtime, live):
    live.clock.advance(days=366)

    response = ask_for_code(api, bearer(tenant.link_key))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_EXPIRED"
    assert count_rows(runtime, auth_codes) == 0


def test_key_with_a_one_day_lifetime_expires_after_a_day(api, tenant, runtime, live):
    key = make_key(runtime, tenant.app_id, lifetime_days=1)
    live.clock.advance(days=1, seconds=1)

    response = ask_for_code(api, bearer(key))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_EXPIRED"


@pytest.mark.parametrize("scope_key", ["read_key", "delete_key"])
def test_key_without_the_link_scope_cannot_issue_codes(api, tenant, runtime, scope_key):
    response = ask_for_code(api, bearer(getattr(tenant, scope_key)))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"
    assert count_rows(runtime, auth_codes) == 0


@pytest.mark.parametrize("credential", ["access_token", "refresh_token"])
def test_sdk_credentials_cannot_issue_codes(api, tenant, runtime, credential):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    codes_before = count_rows(runtime, auth_codes)

    response = ask_for_code(api, bearer(device["credentials"][credential]))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_API_KEY"
    assert count_rows(runtime, auth_codes) == codes_before


def test_app_secret_cannot_issue_codes(api, tenant, runtime):
    response = ask_for_code(api, bearer(tenant.app_secret))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_API_KEY"
    assert count_rows(runtime, auth_codes) == 0


# Every SDK route, called the way a leaked key would be: as the bearer token. The OpenAPI test
# below keeps this list complete.
SDK_ROUTES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "redeem": ("POST", "/sdk/v1/users", redeem_body("0" * 128)),
    "status": ("GET", "/sdk/v1/status", None),
    "reset": ("POST", "/sdk/v1/reset", None),
    "token": ("POST", "/sdk/v1/token", {"refresh_token": "ulr_unused"}),
    "register-install": ("POST", "/sdk/v1/installs", {"installation_nonce": "n" * 20}),
    "confirm-link": ("POST", "/sdk/v1/link/confirm", {}),
    "link-with-code": ("POST", "/sdk/v1/link", {"authentication_code": "0" * 128}),
    "payloads": ("POST", "/sdk/v1/payloads", {"payloads": []}),
}


@pytest.mark.parametrize("route", list(SDK_ROUTES))
def test_api_key_on_an_sdk_route_is_refused_and_audited_as_a_leak(api, tenant, runtime, route):
    method, path, body = SDK_ROUTES[route]
    key = key_by_token(runtime, tenant.app_id, tenant.link_key)

    response = api.request(method, path, json=body, headers=bearer(tenant.link_key))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    [leak] = audit_rows(runtime, LEAK_EVENT)
    assert (leak["app_id"], leak["actor"]) == (tenant.app_id, f"api_key:{key.id}")
    assert leak["details"] == {"route": path}


def test_api_key_in_the_refresh_token_body_is_refused_and_audited_as_a_leak(api, tenant, runtime):
    response = api.post("/sdk/v1/token", json={"refresh_token": tenant.link_key})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert [row["details"] for row in audit_rows(runtime, LEAK_EVENT)] == [
        {"route": "/sdk/v1/token"}
    ]


def test_api_key_without_the_bearer_scheme_on_an_sdk_route_is_refused_and_audited(
    api, tenant, runtime
):
    response = api.get("/sdk/v1/status", headers={"Authorization": tenant.link_key})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert len(audit_rows(runtime, LEAK_EVENT)) == 1


def test_unknown_api_key_on_an_sdk_route_is_refused_without_filling_the_audit_log(
    api, tenant, runtime
):
    unknown = secrets.generate(secrets.SecretKind.API_KEY)

    response = api.get("/sdk/v1/status", headers=bearer(unknown))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert audit_rows(runtime, LEAK_EVENT) == []


def test_api_key_on_the_redemption_route_leaves_the_code_unused(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")

    refused = api.post("/sdk/v1/users", json=redeem_body(code), headers=bearer(tenant.link_key))

    assert refused.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert redeem(api, code)["restored"] is False


def test_api_key_on_the_legacy_registration_route_registers_nothing(api, tenant, runtime):
    body = {"installation_nonce": "n" * 20, "device": {"platform": "android"}}

    refused = api.post("/sdk/v1/installs", json=body, headers=bearer(tenant.link_key))

    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert count_rows(runtime, installs) == 0


def test_every_sdk_route_is_checked_for_leaked_api_keys(api):
    paths = api.get("/openapi.json").json()["paths"]

    documented = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/sdk/")
        for method in operations
    }

    assert documented == {(method, path) for method, path, _body in SDK_ROUTES.values()}


def create_key(runtime, app_id, **overrides: Any) -> api_keys.CreatedApiKey:
    values: dict[str, Any] = {"name": "key", "scopes": ["user.read"], **overrides}
    with runtime.unit_of_work() as work:
        return api_keys.create_key(work, app_id, **values)


def test_eleventh_active_key_of_an_app_is_refused(tenant, runtime):
    for _ in range(7):  # the tenant holds three already
        create_key(runtime, tenant.app_id)

    with pytest.raises(TooManyApiKeys) as refused:
        create_key(runtime, tenant.app_id)

    assert (refused.value.status_code, refused.value.error_code) == (
        409,
        "TOO_MANY_ACTIVE_API_KEYS",
    )
    assert count_rows(runtime, api_keys_table, app_id=tenant.app_id) == 10


def test_revoking_a_key_frees_a_place_for_a_new_one(tenant, runtime):
    for _ in range(7):
        create_key(runtime, tenant.app_id)
    revoke_key_by_token(runtime, tenant.app_id, tenant.read_key)

    created = create_key(runtime, tenant.app_id)

    assert created.key.state(runtime.clock.now()) == "active"
    assert count_rows(runtime, api_keys_table, app_id=tenant.app_id) == 11


def test_expired_keys_do_not_count_towards_the_limit(tenant, runtime, live):
    for _ in range(7):
        create_key(runtime, tenant.app_id, lifetime_days=1)
    live.clock.advance(days=2)

    created = create_key(runtime, tenant.app_id)

    assert created.key.state(runtime.clock.now()) == "active"


def test_key_limit_counts_each_app_on_its_own(tenant, runtime):
    for _ in range(7):
        create_key(runtime, tenant.app_id)
    other_app = make_app(runtime, name="Other app").app

    created = create_key(runtime, other_app.id)

    assert created.key.state(runtime.clock.now()) == "active"


def test_first_use_of_a_key_is_recorded(api, tenant, runtime):
    before = key_by_token(runtime, tenant.app_id, tenant.link_key).last_used_at

    ask_for_code(api, bearer(tenant.link_key))

    used = key_by_token(runtime, tenant.app_id, tenant.link_key).last_used_at
    assert before is None
    assert used is not None
    assert abs(used - runtime.clock.now()) < timedelta(seconds=30)


def test_last_use_is_recorded_again_after_a_minute(api, tenant, runtime, live):
    ask_for_code(api, bearer(tenant.link_key))
    first = key_by_token(runtime, tenant.app_id, tenant.link_key).last_used_at
    live.clock.advance(minutes=5)

    ask_for_code(api, bearer(tenant.link_key))

    later = key_by_token(runtime, tenant.app_id, tenant.link_key).last_used_at
    assert first is not None
    assert later is not None
    assert later - first >= timedelta(minutes=5)


def test_refused_key_does_not_record_a_use(api, tenant, runtime):
    ask_for_code(api, bearer(tenant.read_key))

    assert key_by_token(runtime, tenant.app_id, tenant.read_key).last_used_at is None
