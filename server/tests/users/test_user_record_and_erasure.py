"""The user's record (installs, active flags, reasons), lookup by external id, and erasure."""

from __future__ import annotations

import uuid

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    link,
    payload,
    phone,
    redeem,
    redeem_body,
    register_install,
    tablet,
    upload,
)


def test_user_record_lists_installs_with_class_and_active_flag(api, tenant):
    phone_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    tablet_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())

    record = api.get(
        f"/v2/users/{phone_install['user_id']}", headers=bearer(tenant.read_key)
    ).json()

    assert record["external_id"] == "alice"
    assert [
        (i["id"], i["device_class"], i["is_active"], i["inactive_reason"])
        for i in record["installs"]
    ] == [
        (phone_install["install_id"], "phone", True, None),
        (tablet_install["install_id"], "tablet", False, "PHONE_PREFERRED_OVER_TABLET"),
    ]


def test_lookup_by_external_id_finds_the_user(api, tenant):
    created = redeem(api, issue_code(api, tenant.link_key, "usér 🙂"))

    response = api.get(
        "/v2/users", params={"external_id": "usér 🙂"}, headers=bearer(tenant.read_key)
    )

    assert response.json()["id"] == created["user_id"]


def test_lookup_of_an_unknown_external_id_is_not_found(api, tenant):
    response = api.get(
        "/v2/users", params={"external_id": "nobody"}, headers=bearer(tenant.read_key)
    )

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"


def test_another_apps_user_is_not_found(api, tenant, runtime):
    from userlink_testing.factories.api_keys import make_key
    from userlink_testing.factories.apps import make_app

    other = make_app(runtime, name="Other")
    other_link = make_key(runtime, other.app.id)
    foreign = redeem(api, issue_code(api, other_link, "alice"))

    response = api.get(f"/v2/users/{foreign['user_id']}", headers=bearer(tenant.read_key))

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"


def test_resetting_the_active_install_hands_the_role_to_the_next(api, tenant):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    second = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("new"))

    api.post("/sdk/v1/reset", headers=bearer(second["credentials"]["access_token"]))

    record = api.get(f"/v2/users/{first['user_id']}", headers=bearer(tenant.read_key)).json()
    assert [(i["status"], i["is_active"], i["inactive_reason"]) for i in record["installs"]] == [
        ("live", True, None),
        ("reset", False, "INSTALL_RESET"),
    ]


def test_erasure_removes_the_user_and_stops_its_credentials(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    upload(api, device["credentials"]["access_token"], [payload("p1")])

    deleted = api.delete(f"/users/{device['user_id']}", headers=bearer(tenant.delete_key))

    assert deleted.status_code == 204
    assert (
        api.get(f"/v2/users/{device['user_id']}", headers=bearer(tenant.read_key)).status_code
        == 404
    )
    stale = api.get("/sdk/v1/status", headers=bearer(device["credentials"]["access_token"]))
    assert stale.status_code == 401
    refresh = api.post(
        "/sdk/v1/token", json={"refresh_token": device["credentials"]["refresh_token"]}
    )
    assert refresh.status_code == 401


def test_a_code_issued_before_erasure_cannot_bring_the_user_back(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    pending = issue_code(api, tenant.link_key, "alice")

    api.delete(f"/users/{device['user_id']}", headers=bearer(tenant.delete_key))

    response = api.post("/sdk/v1/users", json=redeem_body(pending))
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AUTH_CODE_INVALID"


def test_a_stale_legacy_install_cannot_relink_the_erased_user(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "alice")

    api.delete(f"/users/{install['user_id']}", headers=bearer(tenant.delete_key))

    response = link(api, tenant.link_key, install["install_id"], "alice")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "INSTALL_NOT_FOUND"


def test_erasure_needs_the_delete_scope(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.delete(f"/users/{device['user_id']}", headers=bearer(tenant.read_key))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"


def test_erasing_an_unknown_user_is_not_found(api, tenant):
    response = api.delete(f"/users/{uuid.uuid4()}", headers=bearer(tenant.delete_key))

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"
