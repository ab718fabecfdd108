"""`GET /v2/users/{user_id}/events`: the identity ledger of one user, with what each event
changed, newest first, in cursor pages, filtered by type and time."""

from __future__ import annotations

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    link,
    phone,
    redeem,
    register_install,
    tablet,
)


def events(api, key, user_id, **params):
    response = api.get(f"/v2/users/{user_id}/events", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


def of_type(page, event_type):
    return [item for item in page["items"] if item["type"] == event_type]


def test_a_restore_records_the_installs_previous_user_and_the_active_install_before_and_after(
    api, tenant
):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("new"))

    page = events(api, tenant.read_key, new["user_id"])

    [restored] = of_type(page, "user.restored")
    assert restored["install_id"] == new["install_id"]
    assert restored["details"]["previous_user_id"] is None
    assert restored["details"]["previous_active_install_id"] == old["install_id"]
    assert restored["details"]["active_install_id"] == new["install_id"]
    [deactivated] = of_type(page, "install.deactivated")
    assert deactivated["install_id"] == old["install_id"]
    assert deactivated["details"]["active_install_id"] == new["install_id"]


def test_events_come_newest_first(api, tenant):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("new"))

    page = events(api, tenant.read_key, first["user_id"])

    ids = [int(item["id"]) for item in page["items"]]
    assert ids == sorted(ids, reverse=True)
    assert page["items"][-1]["type"] == "install.created"
    assert page["items"][0]["type"] == "user.restored"


def test_a_tablet_joining_keeps_the_phone_active_in_the_record(api, tenant):
    phone_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())

    page = events(api, tenant.read_key, phone_install["user_id"])

    [restored] = of_type(page, "user.restored")
    assert restored["details"]["previous_active_install_id"] == phone_install["install_id"]
    assert restored["details"]["active_install_id"] == phone_install["install_id"]


def test_a_legacy_link_to_a_known_user_records_the_installs_previous_user(api, tenant):
    known = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    install = register_install(api, tenant.app_id, tenant.app_secret)

    joined = link(api, tenant.link_key, install["install_id"], "alice")

    assert joined.json()["id"] == known["user_id"]
    [linked] = of_type(events(api, tenant.read_key, known["user_id"]), "user.linked")
    assert linked["install_id"] == install["install_id"]
    assert linked["actor"].startswith("api_key:")
    assert linked["details"]["joined"] is True
    assert linked["details"]["previous_user_id"] == install["user_id"]
    assert linked["details"]["previous_active_install_id"] == known["install_id"]
    assert linked["details"]["active_install_id"] == install["install_id"]


def test_a_legacy_link_of_a_new_external_id_links_the_installs_own_user(api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    link(api, tenant.link_key, install["install_id"], "bob")

    page = events(api, tenant.read_key, install["user_id"])
    [linked] = of_type(page, "user.linked")
    assert linked["details"] == {"joined": False, "previous_user_id": install["user_id"]}
    [created] = of_type(page, "user.created")
    assert created["details"]["provisional"] is True
    assert created["details"]["active_install_id"] == install["install_id"]


def test_a_reset_records_who_holds_the_active_role_after_it(api, tenant):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("new"))

    api.post("/sdk/v1/reset", headers=bearer(new["credentials"]["access_token"]))

    page = events(api, tenant.read_key, old["user_id"], type="install.reset")
    [reset] = page["items"]
    assert reset["install_id"] == new["install_id"]
    assert reset["details"]["was_active"] is True
    assert reset["details"]["previous_active_install_id"] == new["install_id"]
    assert reset["details"]["active_install_id"] == old["install_id"]


def test_the_redemption_names_the_code_it_used(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    page = events(api, tenant.read_key, device["user_id"], type="auth_code.redeemed")

    [redeemed] = page["items"]
    assert redeemed["details"]["code_id"]
    [created] = events(api, tenant.read_key, device["user_id"], type="user.created")["items"]
    assert created["details"]["code_id"] == redeemed["details"]["code_id"]


def test_type_filters_take_several_types_repeated_or_comma_separated(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    redeem(api, issue_code(api, tenant.link_key, "alice"))

    repeated = events(
        api, tenant.read_key, device["user_id"], type=["user.created", "user.restored"]
    )
    commas = events(api, tenant.read_key, device["user_id"], type="user.created,user.restored")

    assert [item["type"] for item in repeated["items"]] == ["user.restored", "user.created"]
    assert commas == repeated


def test_pages_follow_the_cursor_to_the_end_without_repeats(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    for _ in range(3):
        redeem(api, issue_code(api, tenant.link_key, "alice"))
    everything = events(api, tenant.read_key, device["user_id"], limit=500)["items"]

    seen = []
    page = events(api, tenant.read_key, device["user_id"], limit=3)
    seen.extend(page["items"])
    while page["next_cursor"]:
        page = events(api, tenant.read_key, device["user_id"], limit=3, cursor=page["next_cursor"])
        seen.extend(page["items"])

    assert [item["id"] for item in seen] == [item["id"] for item in everything]
    assert len(everything) > 3


def test_time_filters_keep_events_from_since_and_before_until(api, tenant, live):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    live.clock.advance(hours=1)
    middle = live.clock.now()
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("new"))
    live.clock.advance(hours=1)
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("newer"))

    window = events(
        api,
        tenant.read_key,
        device["user_id"],
        type="user.restored,user.created",
        since=middle.isoformat(),
        until=(middle.replace(microsecond=0) + (live.clock.now() - middle) / 2).isoformat(),
    )
    before = events(
        api,
        tenant.read_key,
        device["user_id"],
        type="user.restored,user.created",
        until=middle.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )

    assert [item["type"] for item in window["items"]] == ["user.restored"]
    assert [item["type"] for item in before["items"]] == ["user.created"]


def test_a_cursor_this_api_did_not_return_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    for cursor in ("nonsense", "ZXYxOi0x", "MTIzNDU2"):
        response = api.get(
            f"/v2/users/{device['user_id']}/events",
            params={"cursor": cursor},
            headers=bearer(tenant.read_key),
        )
        assert response.status_code == 422
        assert response.json()["errorCode"] == "INVALID_CURSOR"


def test_an_unknown_event_type_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.get(
        f"/v2/users/{device['user_id']}/events",
        params={"type": "user.restored,user.teleported"},
        headers=bearer(tenant.read_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_EVENT_TYPE"


def test_a_time_that_is_not_iso_8601_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    for params in (
        {"since": "yesterday"},
        {"until": "2026-13-01T00:00:00Z"},
        {"since": "2026-11-29T10:00:00Z", "until": "2026-11-29T09:00:00Z"},
    ):
        response = api.get(
            f"/v2/users/{device['user_id']}/events", params=params, headers=bearer(tenant.read_key)
        )
        assert response.status_code == 422
        assert response.json()["errorCode"] == "INVALID_TIME_FILTER"


def test_another_apps_user_has_no_events_here(api, tenant, runtime):
    from userlink_testing.factories.api_keys import make_key
    from userlink_testing.factories.apps import make_app

    other = make_app(runtime, name="Other")
    foreign = redeem(api, issue_code(api, make_key(runtime, other.app.id), "alice"))

    response = api.get(f"/v2/users/{foreign['user_id']}/events", headers=bearer(tenant.read_key))

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"


def test_an_erased_user_has_no_events_to_read(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    api.delete(f"/users/{device['user_id']}", headers=bearer(tenant.delete_key))

    response = api.get(f"/v2/users/{device['user_id']}/events", headers=bearer(tenant.read_key))

    assert response.status_code == 404


def test_reading_events_takes_the_read_scope(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.get(f"/v2/users/{device['user_id']}/events", headers=bearer(tenant.link_key))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"
