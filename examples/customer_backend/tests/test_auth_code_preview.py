"""GET /auth/code/preview: before asking for a code, the app learns from the platform's preview
what the code would do, and the user is told when it would take over from another phone."""

from __future__ import annotations

from userlink_testing.factories.devices import bearer, phone, redeem, tablet


def events_of(api, tenant, user_id: str) -> list[str]:
    response = api.get(f"/v2/users/{user_id}/events", headers=bearer(tenant.read_key))
    assert response.status_code == 200, response.text
    return [event["id"] for event in response.json()["items"]]


def test_a_new_account_has_nothing_to_warn_about(service):
    alice = service.signup("alice")

    response = alice.get("/auth/code/preview")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "outcome": "create",
        "signed_in_elsewhere": False,
        "will_be_active": True,
        "other_device": None,
        "message": None,
    }


def test_a_user_active_on_another_phone_is_told_before_the_code_is_asked_for(service, api, tenant):
    alice = service.signup("alice")
    first = redeem(api, alice.get("/auth/code").json()["auth_code"], device=phone("Pixel 6"))
    events_before = events_of(api, tenant, first["user_id"])

    response = alice.get("/auth/code/preview")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["outcome"], body["signed_in_elsewhere"], body["will_be_active"]) == (
        "restore",
        True,
        True,
    )
    assert body["other_device"] == {
        "install_id": first["install_id"],
        "platform": "android",
        "device_class": "phone",
        "model": "Pixel 6",
    }
    assert body["message"].startswith("You are signed in on another phone (Pixel 6).")
    # The preview wrote nothing on the platform: no code, no event.
    assert events_of(api, tenant, first["user_id"]) == events_before


def test_the_preview_matches_what_the_code_then_does(service, api, tenant):
    alice = service.signup("alice")
    first = redeem(api, alice.get("/auth/code").json()["auth_code"], device=phone("Pixel 6"))
    preview = alice.get("/auth/code/preview").json()

    second = redeem(api, alice.get("/auth/code").json()["auth_code"], device=phone("Pixel 9"))

    user = api.get(f"/v2/users/{first['user_id']}", headers=bearer(tenant.read_key)).json()
    active = [install["id"] for install in user["installs"] if install["is_active"]]
    assert (second["user_id"], active) == (first["user_id"], [second["install_id"]])
    assert preview["other_device"]["install_id"] == first["install_id"]


def test_a_tablet_beside_an_active_phone_is_told_it_stays_inactive(service, api):
    alice = service.signup("alice")
    redeem(api, alice.get("/auth/code").json()["auth_code"], device=phone("Pixel 6"))

    response = alice.get("/auth/code/preview", params={"device_class": "tablet"})

    body = response.json()
    assert (body["outcome"], body["signed_in_elsewhere"], body["will_be_active"]) == (
        "restore",
        False,
        False,
    )
    assert (body["other_device"], body["message"]) == (None, None)


def test_a_tablet_replacing_an_active_tablet_is_told(service, api):
    alice = service.signup("alice")
    redeem(api, alice.get("/auth/code").json()["auth_code"], device=tablet("Galaxy Tab S9"))

    body = alice.get("/auth/code/preview", params={"device_class": "tablet"}).json()

    assert (body["signed_in_elsewhere"], body["other_device"]["device_class"]) == (True, "tablet")
    assert body["message"].startswith("You are signed in on another tablet (Galaxy Tab S9).")


def test_the_preview_needs_a_session_and_refuses_a_chosen_user(service):
    alice = service.signup("alice")

    anonymous = service.client.get("/auth/code/preview")
    chosen = alice.get("/auth/code/preview", params={"external_id": "bob"})
    bad_class = alice.get("/auth/code/preview", params={"device_class": "watch"})

    assert anonymous.status_code == 401
    assert (chosen.status_code, chosen.json()["errorCode"]) == (400, "EXTERNAL_ID_NOT_ACCEPTED")
    assert bad_class.status_code == 422
