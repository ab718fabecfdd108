"""`POST /v2/users/{user_id}/events/{event_id}/undo` (scope `user.admin`): a restore or a link
undone within the app's window; the install returns to its previous user with its payloads and
both users' active install follows the rule; refusals say what blocks."""

from __future__ import annotations

import pytest

from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    link,
    payload,
    phone,
    redeem,
    register_install,
    tablet,
    upload,
)


@pytest.fixture
def admin_key(runtime, tenant):
    return make_key(runtime, tenant.app_id, scopes=("user.admin",))


def event_of(api, tenant, user_id, event_type):
    response = api.get(
        f"/v2/users/{user_id}/events", params={"type": event_type}, headers=bearer(tenant.read_key)
    )
    [event] = response.json()["items"]
    return event


def undo(api, key, user_id, event_id, **headers):
    return api.post(
        f"/v2/users/{user_id}/events/{event_id}/undo", headers={**bearer(key), **headers}
    )


def record(api, tenant, user_id):
    return api.get(f"/v2/users/{user_id}", headers=bearer(tenant.read_key)).json()


def timeline(api, tenant, user_id):
    response = api.get(f"/v2/users/{user_id}/timeline", headers=bearer(tenant.read_key))
    return [item["id"] for item in response.json()["items"]]


def active_install(api, tenant, user_id):
    return [i["id"] for i in record(api, tenant, user_id)["installs"] if i["is_active"]]


def test_undoing_a_wrong_restore_gives_the_new_phone_a_provisional_user_of_its_own(
    api, tenant, admin_key
):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    upload(api, old["credentials"]["access_token"], [payload("mine", at="2026-11-21T10:01:00Z")])
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    upload(
        api, wrong["credentials"]["access_token"], [payload("theirs", at="2026-11-21T10:02:00Z")]
    )
    restored = event_of(api, tenant, old["user_id"], "user.restored")

    response = undo(api, admin_key, old["user_id"], restored["id"])

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["undone_event_id"] == restored["id"]
    assert answer["install_id"] == wrong["install_id"]
    assert answer["replayed"] is False
    moved_to = answer["install_user_id"]
    assert moved_to not in (None, old["user_id"])
    assert active_install(api, tenant, old["user_id"]) == [old["install_id"]]
    assert timeline(api, tenant, old["user_id"]) == ["mine"]
    assert record(api, tenant, moved_to)["external_id"] is None
    assert active_install(api, tenant, moved_to) == [wrong["install_id"]]
    assert timeline(api, tenant, moved_to) == ["theirs"]


def test_the_undone_device_keeps_working_as_its_new_user(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    moved_to = undo(api, admin_key, wrong["user_id"], restored["id"]).json()["install_user_id"]

    upload(api, wrong["credentials"]["access_token"], [payload("later", at="2026-11-21T10:03:00Z")])

    assert timeline(api, tenant, moved_to) == ["later"]
    assert "later" not in timeline(api, tenant, wrong["user_id"])


def test_undoing_a_tablet_restore_leaves_the_phone_active(api, tenant, admin_key):
    phone_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    tablet_install = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())
    restored = event_of(api, tenant, phone_install["user_id"], "user.restored")

    moved_to = undo(api, admin_key, phone_install["user_id"], restored["id"]).json()[
        "install_user_id"
    ]

    assert active_install(api, tenant, phone_install["user_id"]) == [phone_install["install_id"]]
    assert active_install(api, tenant, moved_to) == [tablet_install["install_id"]]


def test_undoing_a_joined_link_returns_the_install_and_its_payloads(api, tenant, admin_key):
    known = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    upload(
        api, known["credentials"]["access_token"], [payload("alice-1", at="2026-11-21T10:01:00Z")]
    )
    install = register_install(api, tenant.app_id, tenant.app_secret)
    upload(
        api,
        install["credentials"]["access_token"],
        [payload("legacy-1", at="2026-11-21T10:02:00Z")],
    )
    link(api, tenant.link_key, install["install_id"], "alice")
    upload(
        api,
        install["credentials"]["access_token"],
        [payload("legacy-2", at="2026-11-21T10:03:00Z")],
    )
    assert timeline(api, tenant, known["user_id"]) == ["alice-1", "legacy-1", "legacy-2"]
    linked = event_of(api, tenant, known["user_id"], "user.linked")

    answer = undo(api, admin_key, known["user_id"], linked["id"]).json()

    moved_to = answer["install_user_id"]
    assert answer["install_id"] == install["install_id"]
    assert active_install(api, tenant, known["user_id"]) == [known["install_id"]]
    assert timeline(api, tenant, known["user_id"]) == ["alice-1"]
    assert timeline(api, tenant, moved_to) == ["legacy-1", "legacy-2"]
    assert active_install(api, tenant, moved_to) == [install["install_id"]]


def test_undoing_a_link_in_place_unlinks_the_user(api, tenant, admin_key):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "bob")
    linked = event_of(api, tenant, install["user_id"], "user.linked")

    answer = undo(api, admin_key, install["user_id"], linked["id"]).json()

    assert answer["install_user_id"] is None
    assert record(api, tenant, install["user_id"])["external_id"] is None
    lookup = api.get("/v2/users", params={"external_id": "bob"}, headers=bearer(tenant.read_key))
    assert lookup.status_code == 404


def test_the_undo_is_itself_a_ledger_event(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")

    answer = undo(api, admin_key, wrong["user_id"], restored["id"]).json()

    undone = event_of(api, tenant, wrong["user_id"], "event.undone")
    assert undone["id"] == answer["undo_event_id"]
    assert undone["undoes_event_id"] == restored["id"]
    assert undone["actor"].startswith("api_key:")
    assert undone["details"]["undone_type"] == "user.restored"
    assert undone["details"]["install_user_id"] == answer["install_user_id"]
    created = event_of(api, tenant, answer["install_user_id"], "user.created")
    assert created["details"]["via_undo_of"] == restored["id"]


def test_undoing_twice_is_refused(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    undo(api, admin_key, wrong["user_id"], restored["id"])

    again = undo(api, admin_key, wrong["user_id"], restored["id"])

    assert again.status_code == 409
    assert again.json()["errorCode"] == "EVENT_ALREADY_UNDONE"


def test_a_retry_with_the_same_idempotency_key_answers_the_first_result(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    first = undo(api, admin_key, wrong["user_id"], restored["id"], **{"Idempotency-Key": "k-1"})

    retry = undo(api, admin_key, wrong["user_id"], restored["id"], **{"Idempotency-Key": "k-1"})
    other = undo(api, admin_key, wrong["user_id"], restored["id"], **{"Idempotency-Key": "k-2"})

    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "replayed": True}
    assert other.status_code == 409
    assert other.json()["errorCode"] == "EVENT_ALREADY_UNDONE"


def test_an_undo_after_the_window_is_refused(api, tenant, admin_key, live):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    live.clock.advance(days=7, seconds=1)

    response = undo(api, admin_key, wrong["user_id"], restored["id"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "UNDO_WINDOW_PASSED"
    assert "604800 seconds" in response.json()["message"]


def test_the_window_is_the_apps_own(api, tenant, admin_key, live, run):
    result = run("apps", "set", str(tenant.app_id), "--undo-window", "120")
    assert result.exit_code == 0, result.output
    assert "undo_window=120s" in result.output
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    live.clock.advance(seconds=121)

    response = undo(api, admin_key, wrong["user_id"], restored["id"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "UNDO_WINDOW_PASSED"


def test_an_undo_window_out_of_range_is_refused_by_the_cli(run, tenant):
    result = run("apps", "set", str(tenant.app_id), "--undo-window", "5")

    assert result.exit_code != 0
    assert "INVALID_UNDO_WINDOW" in result.output


def test_a_restore_whose_install_was_reset_since_cannot_be_undone(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    api.post("/sdk/v1/reset", headers=bearer(wrong["credentials"]["access_token"]))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")
    reset = event_of(api, tenant, wrong["user_id"], "install.reset")

    response = undo(api, admin_key, wrong["user_id"], restored["id"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "UNDO_BLOCKED_BY_LATER_EVENTS"
    assert f"install.reset (event {reset['id']})" in response.json()["message"]
    assert "can no longer be undone" in response.json()["message"]


def test_a_link_whose_external_id_restored_another_device_since_cannot_be_undone(
    api, tenant, admin_key
):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "bob")
    redeem(api, issue_code(api, tenant.link_key, "bob"), device=phone("second"))
    linked = event_of(api, tenant, install["user_id"], "user.linked")
    restored = event_of(api, tenant, install["user_id"], "user.restored")

    response = undo(api, admin_key, install["user_id"], linked["id"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "UNDO_BLOCKED_BY_LATER_EVENTS"
    assert f"user.restored (event {restored['id']})" in response.json()["message"]
    assert "Undo those first" in response.json()["message"]


def test_once_the_later_restore_is_undone_the_link_can_be(api, tenant, admin_key):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    link(api, tenant.link_key, install["install_id"], "bob")
    redeem(api, issue_code(api, tenant.link_key, "bob"), device=phone("second"))
    linked = event_of(api, tenant, install["user_id"], "user.linked")
    restored = event_of(api, tenant, install["user_id"], "user.restored")
    assert undo(api, admin_key, install["user_id"], restored["id"]).status_code == 200

    response = undo(api, admin_key, install["user_id"], linked["id"])

    assert response.status_code == 200


def test_an_event_that_is_not_a_restore_or_a_link_cannot_be_undone(api, tenant, admin_key):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    created = event_of(api, tenant, device["user_id"], "user.created")

    response = undo(api, admin_key, device["user_id"], created["id"])

    assert response.status_code == 409
    assert response.json()["errorCode"] == "EVENT_NOT_UNDOABLE"


def test_an_unknown_or_foreign_event_is_not_found(api, tenant, admin_key):
    alice = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("a"))
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("b"))
    bob = redeem(api, issue_code(api, tenant.link_key, "bob"))
    alices_restore = event_of(api, tenant, alice["user_id"], "user.restored")

    for user_id, event_id in (
        (bob["user_id"], alices_restore["id"]),
        (alice["user_id"], "999999999"),
        (alice["user_id"], "not-an-id"),
        (alice["user_id"], "99999999999999999999999"),
    ):
        response = undo(api, admin_key, user_id, event_id)
        assert response.status_code == 404
        assert response.json()["errorCode"] == "EVENT_NOT_FOUND"


def test_another_apps_user_is_not_found(api, tenant, admin_key, runtime):
    from userlink_testing.factories.apps import make_app

    other = make_app(runtime, name="Other")
    foreign = redeem(api, issue_code(api, make_key(runtime, other.app.id), "alice"))

    response = undo(api, admin_key, foreign["user_id"], "1")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"


def test_undo_takes_the_admin_scope(api, tenant):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")

    for key in (tenant.read_key, tenant.link_key, tenant.delete_key):
        response = undo(api, key, wrong["user_id"], restored["id"])
        assert response.status_code == 403
        assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"


def test_an_idempotency_key_that_is_not_printable_ascii_is_refused(api, tenant, admin_key):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    restored = event_of(api, tenant, wrong["user_id"], "user.restored")

    response = undo(
        api, admin_key, wrong["user_id"], restored["id"], **{"Idempotency-Key": "x" * 256}
    )

    # The same refusal as on every route that takes the header.
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_IDEMPOTENCY_KEY"
