"""Legacy flow: install registered with app credentials, linked server-to-server, confirmed."""

from __future__ import annotations

import uuid

from userlink_testing.factories.apps import make_app, update_app
from userlink_testing.factories.devices import (
    basic,
    bearer,
    confirm,
    issue_code,
    link,
    phone,
    redeem,
    register_install,
    status,
    tablet,
)


def test_registration_gives_an_install_id_and_an_unlinked_user(api, tenant):
    answer = register_install(api, tenant.app_id, tenant.app_secret)

    assert answer["is_linked"] is False
    assert status(api, answer["credentials"]["access_token"])["is_linked"] is False


def test_registration_with_a_wrong_secret_is_refused(api, tenant):
    response = api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": "n" * 20, "device": phone()},
        headers=basic(tenant.app_id, "uls_wrong"),
    )

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_APP_CREDENTIALS"


def test_linking_an_unknown_external_id_links_the_provisional_user(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 200
    assert response.json() == {"id": install["user_id"]}
    confirmed = confirm(api, install["credentials"]["access_token"])
    assert confirmed.json()["is_linked"] is True


def test_linking_a_known_external_id_joins_the_existing_user(api, tenant):
    first = register_install(api, tenant.app_id, tenant.app_secret, device=phone("Pixel 6"))
    link(api, tenant.link_key, first["install_id"], "alice")
    confirm(api, first["credentials"]["access_token"])
    second = register_install(api, tenant.app_id, tenant.app_secret, device=phone("Pixel 9"))

    response = link(api, tenant.link_key, second["install_id"], "alice")

    assert response.json() == {"id": first["user_id"]}
    confirmed = confirm(api, second["credentials"]["access_token"]).json()
    assert confirmed["user_id"] == first["user_id"]
    assert status(api, first["credentials"]["access_token"])["is_remote_enabled"] is False
    assert status(api, second["credentials"]["access_token"])["is_remote_enabled"] is True


def test_joining_discards_the_provisional_user(api, tenant):
    first = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, first["install_id"], "alice")
    second = register_install(api, tenant.app_id, tenant.app_secret)

    link(api, tenant.link_key, second["install_id"], "alice")

    response = api.get(f"/v2/users/{second['user_id']}", headers=bearer(tenant.read_key))
    assert response.status_code == 404


def test_auth_code_user_and_legacy_install_share_one_user(api, tenant):
    created = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    legacy = register_install(api, tenant.app_id, tenant.app_secret, device=tablet())

    response = link(api, tenant.link_key, legacy["install_id"], "alice")

    assert response.json() == {"id": created["user_id"]}
    assert status(api, legacy["credentials"]["access_token"])["inactive_reason"] == (
        "PHONE_PREFERRED_OVER_TABLET"
    )


def test_relinking_to_the_same_external_id_answers_the_same_user(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "alice")

    again = link(api, tenant.link_key, install["install_id"], "alice")

    assert again.status_code == 200
    assert again.json() == {"id": install["user_id"]}


def test_confirm_without_a_link_is_refused(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = confirm(api, install["credentials"]["access_token"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "INSTALL_NOT_LINKED"


def test_no_op_linker_establishes_an_unlinked_user(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = confirm(api, install["credentials"]["access_token"], established=True)

    assert response.status_code == 200
    assert response.json()["is_linked"] is False


def test_established_unlinked_user_cannot_join_a_known_external_id(api, tenant):
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    install = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, install["credentials"]["access_token"], established=True)

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "CANNOT_LINK_EXISTING_PERSON_TO_OTHER_PERSON"


def test_established_unlinked_user_links_to_a_new_external_id(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, install["credentials"]["access_token"], established=True)

    response = link(api, tenant.link_key, install["install_id"], "bob")

    assert response.json() == {"id": install["user_id"]}


def test_link_user_with_a_code_for_a_new_external_id(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, install["credentials"]["access_token"], established=True)
    code = issue_code(api, tenant.link_key, "carol")

    response = api.post(
        "/sdk/v1/link",
        json={"authentication_code": code},
        headers=bearer(install["credentials"]["access_token"]),
    )

    assert response.status_code == 200
    assert response.json()["is_linked"] is True
    assert response.json()["user_id"] == install["user_id"]


def test_link_user_with_a_code_for_a_known_external_id_is_refused(api, tenant):
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    install = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, install["credentials"]["access_token"], established=True)
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        "/sdk/v1/link",
        json={"authentication_code": code},
        headers=bearer(install["credentials"]["access_token"]),
    )

    assert response.status_code == 409
    assert response.json()["errorCode"] == "EXTERNAL_ID_ALREADY_LINKED"


def test_link_user_when_already_linked_is_refused(api, tenant):
    created = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.post(
        "/sdk/v1/link",
        json={"authentication_code": issue_code(api, tenant.link_key, "bob")},
        headers=bearer(created["credentials"]["access_token"]),
    )

    assert response.status_code == 409
    assert response.json()["errorCode"] == "USER_ALREADY_LINKED"


def test_link_of_an_unknown_install_is_not_found(api, tenant):
    response = link(api, tenant.link_key, str(uuid.uuid4()), "alice")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "INSTALL_NOT_FOUND"


def test_link_of_a_malformed_install_id_is_not_found(api, tenant):
    response = link(api, tenant.link_key, "not-an-id", "alice")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "INSTALL_NOT_FOUND"


def test_link_of_another_apps_install_is_refused(api, tenant, runtime):
    other = make_app(runtime, name="Other")
    install = register_install(api, other.app.id, other.secret)

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_DOES_NOT_BELONG_TO_APP"


def test_link_of_a_reset_install_is_refused_as_deleted(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    api.post("/sdk/v1/reset", headers=bearer(install["credentials"]["access_token"]))

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_DELETED"


def test_link_of_a_disabled_install_is_refused(api, tenant, runtime):
    from userlink.usecases import install_lifecycle as installs

    install = register_install(api, tenant.app_id, tenant.app_secret)
    with runtime.unit_of_work() as work:
        installs.disable(work, uuid.UUID(install["install_id"]))

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_DISABLED"


def test_link_of_an_install_linked_to_someone_else_is_refused(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "alice")

    response = link(api, tenant.link_key, install["install_id"], "bob")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_LINKED_TO_OTHER_USER"


def test_link_when_linking_is_disabled_for_the_app_is_refused(api, tenant, runtime):
    update_app(runtime, tenant.app_id, linking_enabled=False)
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = link(api, tenant.link_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "USERLINKING_NOT_CONFIGURED"


def test_link_with_a_read_key_is_refused(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = link(api, tenant.read_key, install["install_id"], "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"


def test_link_with_an_empty_external_id_is_refused(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = link(api, tenant.link_key, install["install_id"], "   ")

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_EXTERNAL_ID"


def test_a_malformed_basic_header_is_refused_as_invalid_app_credentials(api, tenant):
    response = api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": "n" * 20, "device": phone()},
        headers={"Authorization": "Basic %%%not-base64"},
    )

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_APP_CREDENTIALS"


def test_existing_installs_learn_their_app_was_remote_disabled(api, tenant, runtime):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    update_app(runtime, tenant.app_id, is_remote_enabled=False)

    answer = status(api, install["credentials"]["access_token"])

    assert answer["is_remote_enabled"] is False
    assert answer["inactive_reason"] == "APP_DISABLED"
