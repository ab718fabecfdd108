"""Code issued by the customer backend, redeemed by a device: create, retry, replay, restore."""

from __future__ import annotations

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    new_nonce,
    phone,
    redeem,
    redeem_body,
    status,
    tablet,
)


def test_auth_code_answer_has_the_vendor_shape(api, tenant):
    response = api.post(
        "/users/auth-code", json={"external_id": "user-1"}, headers=bearer(tenant.link_key)
    )

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"authentication_code", "expires_at"}
    assert len(body["authentication_code"]) == 128
    assert body["expires_at"].endswith("Z")


def test_redeeming_a_code_for_a_new_external_id_creates_an_active_user(api, tenant):
    answer = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())

    assert answer["restored"] is False
    assert answer["is_linked"] is True
    assert answer["configuration"]["is_remote_enabled"] is True
    assert answer["credentials"]["access_token"].startswith("ula_")


def test_code_for_a_known_external_id_restores_the_same_user(api, tenant):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"))

    second = redeem(api, issue_code(api, tenant.link_key, "alice"))

    assert second["restored"] is True
    assert second["user_id"] == first["user_id"]
    assert second["install_id"] != first["install_id"]


def test_restore_on_a_newer_phone_deactivates_the_old_phone(api, tenant):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))

    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))

    assert new["configuration"]["is_remote_enabled"] is True
    old_status = status(api, old["credentials"]["access_token"])
    assert old_status["is_remote_enabled"] is False
    assert old_status["inactive_reason"] == "NEWER_INSTALL_ACTIVE"


def test_restore_on_a_tablet_while_a_phone_is_active_leaves_the_tablet_inactive(api, tenant):
    phone_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())

    tablet_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())

    assert tablet_install["configuration"]["is_remote_enabled"] is False
    assert status(api, tablet_install["credentials"]["access_token"])["inactive_reason"] == (
        "PHONE_PREFERRED_OVER_TABLET"
    )
    assert status(api, phone_install["credentials"]["access_token"])["is_remote_enabled"] is True


def test_retry_with_the_same_nonce_returns_the_same_user_and_install(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    first = redeem(api, code, nonce=nonce)

    retry = redeem(api, code, nonce=nonce)

    assert (retry["user_id"], retry["install_id"]) == (first["user_id"], first["install_id"])
    assert retry["credentials"]["access_token"] != first["credentials"]["access_token"]


def test_retry_revokes_the_credentials_of_the_lost_answer(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    first = redeem(api, code, nonce=nonce)

    redeem(api, code, nonce=nonce)

    response = api.get("/sdk/v1/status", headers=bearer(first["credentials"]["access_token"]))
    assert response.status_code == 401


def test_reuse_by_another_device_is_refused_as_already_used(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")
    redeem(api, code)

    response = api.post("/sdk/v1/users", json=redeem_body(code))

    assert response.status_code == 409
    assert response.json()["errorCode"] == "AUTH_CODE_ALREADY_USED"


def test_retry_after_the_window_is_refused_as_already_used(api, tenant, live):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    redeem(api, code, nonce=nonce)
    live.clock.advance(seconds=61)

    response = api.post("/sdk/v1/users", json=redeem_body(code, nonce=nonce))

    assert response.status_code == 409
    assert response.json()["errorCode"] == "AUTH_CODE_ALREADY_USED"


def test_expired_code_is_refused_and_creates_nothing(api, tenant, live):
    code = issue_code(api, tenant.link_key, "alice")
    live.clock.advance(seconds=601)

    response = api.post("/sdk/v1/users", json=redeem_body(code))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "AUTH_CODE_EXPIRED"
    assert redeem(api, issue_code(api, tenant.link_key, "alice"))["restored"] is False


def test_unknown_code_is_refused(api, tenant):
    response = api.post("/sdk/v1/users", json=redeem_body("f" * 128))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "AUTH_CODE_INVALID"


def test_code_presented_with_another_apps_id_is_refused_and_stays_usable(api, tenant, runtime):
    from userlink_testing.factories.apps import make_app

    other_app = make_app(runtime, name="Other app")
    code = issue_code(api, tenant.link_key, "alice")

    refused = api.post("/sdk/v1/users", json=redeem_body(code, app_id=str(other_app.app.id)))

    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "AUTH_CODE_APP_MISMATCH"
    assert redeem(api, code, app_id=str(tenant.app_id))["restored"] is False


def test_app_code_lifetime_sets_the_expiry(api, tenant, runtime, live):
    from userlink_testing.factories.apps import update_app

    update_app(runtime, tenant.app_id, code_lifetime_seconds=10)
    code = issue_code(api, tenant.link_key, "alice")
    live.clock.advance(seconds=11)

    response = api.post("/sdk/v1/users", json=redeem_body(code))

    assert response.json()["errorCode"] == "AUTH_CODE_EXPIRED"
