"""The SDK is told the redemption retry window in the configuration it receives, and the
window it is told is the one the platform applies."""

from __future__ import annotations

import httpx

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    new_nonce,
    redeem_body,
    register_install,
)


def test_a_redemption_answer_carries_the_retry_window(api, tenant):
    answer = api.post("/sdk/v1/users", json=redeem_body(issue_code(api, tenant.link_key, "alice")))

    assert answer.json()["configuration"]["redemption_retry_window_seconds"] == 60


def test_status_and_legacy_registration_carry_it_too(api, tenant):
    registered = register_install(api, tenant.app_id, tenant.app_secret)
    status = api.get(
        "/sdk/v1/status", headers=bearer(registered["credentials"]["access_token"])
    ).json()

    assert registered["configuration"]["redemption_retry_window_seconds"] == 60
    assert status["configuration"]["redemption_retry_window_seconds"] == 60


def test_the_window_told_is_the_window_applied(limited_server, tenant, live):
    server = limited_server(redemption_retry_window_seconds=5)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        code = issue_code(client, tenant.link_key, "alice")
        nonce = new_nonce()
        first = client.post("/sdk/v1/users", json=redeem_body(code, nonce=nonce)).json()
        window = first["configuration"]["redemption_retry_window_seconds"]
        server.clock.advance(seconds=window - 1)
        within = client.post("/sdk/v1/users", json=redeem_body(code, nonce=nonce))
        server.clock.advance(seconds=2)
        after = client.post("/sdk/v1/users", json=redeem_body(code, nonce=nonce))

    assert window == 5
    assert within.status_code == 200
    assert within.json()["install_id"] == first["install_id"]
    assert after.status_code == 409
    assert after.json()["errorCode"] == "AUTH_CODE_ALREADY_USED"
