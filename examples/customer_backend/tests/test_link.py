"""POST /users/{install_id}/link: the legacy flow, linking an SDK install to the session's user."""

from __future__ import annotations

import uuid

import pytest

from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, register_install


def test_link_links_a_registered_install_to_the_sessions_user(service, api, tenant):
    alice = service.signup("alice")
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = alice.post(f"/users/{install['install_id']}/link")

    assert response.status_code == 200
    assert response.json() == {"id": install["user_id"]}
    user = api.get(f"/v2/users/{install['user_id']}", headers=bearer(tenant.read_key)).json()
    assert user["external_id"] == alice.user_id


def test_a_second_install_of_the_same_user_joins_its_platform_user(service, api, tenant):
    alice = service.signup("alice")
    first = register_install(api, tenant.app_id, tenant.app_secret)
    second = register_install(api, tenant.app_id, tenant.app_secret)
    linked = alice.post(f"/users/{first['install_id']}/link").json()["id"]

    response = alice.post(f"/users/{second['install_id']}/link")

    assert response.json() == {"id": linked}


def test_link_passes_through_install_not_found(service):
    alice = service.signup("alice")

    response = alice.post(f"/users/{uuid.uuid4()}/link")

    assert response.status_code == 404
    body = response.json()
    assert body["errorCode"] == "INSTALL_NOT_FOUND"
    assert body["message"] == "Install was not found by the install ID provided."
    assert set(body) == {"message", "errorCode", "ref"}


def test_link_passes_through_an_install_of_another_app(service, api, runtime):
    alice = service.signup("alice")
    other = make_app(runtime, name="Another app")
    install = register_install(api, other.app.id, other.secret)

    response = alice.post(f"/users/{install['install_id']}/link")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_DOES_NOT_BELONG_TO_APP"


def test_link_passes_through_an_install_linked_to_another_user(service, api, tenant):
    alice = service.signup("alice")
    bob = service.signup("bob")
    install = register_install(api, tenant.app_id, tenant.app_secret)
    alice.post(f"/users/{install['install_id']}/link")

    response = bob.post(f"/users/{install['install_id']}/link")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSTALL_LINKED_TO_OTHER_USER"


@pytest.mark.parametrize("install_id", ["..", "a%2F..%2Fb", "not an id", "x" * 200])
def test_link_answers_install_not_found_for_text_that_cannot_be_an_install_id(service, install_id):
    alice = service.signup("alice")

    response = alice.post(f"/users/{install_id}/link")

    assert response.status_code == 404
    assert response.json()["errorCode"] in {"INSTALL_NOT_FOUND", "ROUTE_NOT_FOUND"}


def test_link_refuses_a_body_naming_a_user(service, api, tenant):
    alice = service.signup("alice")
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = alice.post(
        f"/users/{install['install_id']}/link", json={"external_id": "someone-else"}
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "EXTERNAL_ID_NOT_ACCEPTED"
    user = api.get(f"/v2/users/{install['user_id']}", headers=bearer(tenant.read_key)).json()
    assert user["external_id"] is None


def test_link_refuses_a_query_naming_a_user(service, api, tenant):
    alice = service.signup("alice")
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = alice.post(
        f"/users/{install['install_id']}/link", params={"user_id": "someone-else"}
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "EXTERNAL_ID_NOT_ACCEPTED"


def test_link_needs_a_session(service, api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = service.client.post(f"/users/{install['install_id']}/link")

    assert response.status_code == 401
