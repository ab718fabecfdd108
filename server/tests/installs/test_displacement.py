"""`install.displaced`: the ledger says when an install loses the active role to another install
of its user, which one took it, and why."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from userlink.audit.rules import AuditEvent
from userlink.models import installs
from userlink_testing.factories.devices import (
    bearer,
    confirm,
    issue_code,
    link,
    payload,
    phone,
    redeem,
    register_install,
    status,
    tablet,
    upload,
)
from userlink_testing.factories.records import audit_rows, rows

DISPLACED = AuditEvent.INSTALL_DISPLACED.value


def _details(runtime):
    return [
        (str(row["install_id"]), str(row["user_id"]), row["details"])
        for row in audit_rows(runtime, DISPLACED)
    ]


def test_a_restore_on_a_new_phone_displaces_the_old_phone(api, tenant, runtime):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))

    assert _details(runtime) == [
        (
            old["install_id"],
            old["user_id"],
            {
                "displaced_install_id": old["install_id"],
                "new_install_id": new["install_id"],
                "reason": "newer_install",
            },
        )
    ]


def test_a_phone_displaces_the_active_tablet_as_phone_over_tablet(api, tenant, runtime):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())

    [(_, _, details)] = _details(runtime)

    assert details == {
        "displaced_install_id": old["install_id"],
        "new_install_id": new["install_id"],
        "reason": "phone_over_tablet",
    }


def test_a_tablet_joining_an_active_phone_displaces_nobody(api, tenant, runtime):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())

    assert _details(runtime) == []


def test_the_first_install_of_a_user_displaces_nobody(api, tenant, runtime):
    redeem(api, issue_code(api, tenant.link_key, "alice"))

    assert _details(runtime) == []


def test_resetting_the_active_install_hands_the_role_on_without_a_displacement(
    api, tenant, runtime
):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())
    newer = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet("Tab S10"))
    before = len(_details(runtime))

    response = api.post("/sdk/v1/reset", headers=bearer(newer["credentials"]["access_token"]))

    assert response.status_code == 204
    assert len(_details(runtime)) == before == 1


def test_a_legacy_link_joining_an_existing_user_displaces_its_active_install(api, tenant, runtime):
    first = register_install(api, tenant.app_id, tenant.app_secret, device=phone("Pixel 6"))
    link(api, tenant.link_key, first["install_id"], "alice")
    confirm(api, first["credentials"]["access_token"])
    second = register_install(api, tenant.app_id, tenant.app_secret, device=phone("Pixel 9"))

    link(api, tenant.link_key, second["install_id"], "alice")

    assert _details(runtime) == [
        (
            first["install_id"],
            first["user_id"],
            {
                "displaced_install_id": first["install_id"],
                "new_install_id": second["install_id"],
                "reason": "newer_install",
            },
        )
    ]


def test_the_displaced_install_row_says_by_which_install_and_why(api, tenant, runtime):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())

    [row] = [r for r in rows(runtime, installs) if str(r["id"]) == old["install_id"]]

    assert (str(row["displaced_by"]), row["displacement_reason"], row["is_active"]) == (
        new["install_id"],
        "phone_over_tablet",
        False,
    )
    assert row["displaced_at"] is not None


def test_the_displacement_is_recorded_by_the_redemption_that_caused_it(api, tenant, runtime):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))

    redeemed = [
        r
        for r in audit_rows(runtime, AuditEvent.CODE_REDEEMED.value)
        if str(r["install_id"]) == new["install_id"]
    ]
    [displaced] = audit_rows(runtime, DISPLACED)

    assert displaced["request_ref"] == redeemed[0]["request_ref"]


def _displaced_phone(api, tenant):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())
    newest = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    return old, new, newest


def test_the_displaced_install_learns_it_from_its_status(api, tenant):
    old, _, newest = _displaced_phone(api, tenant)

    answer = status(api, old["credentials"]["access_token"])

    assert answer["is_remote_enabled"] is False
    assert answer["inactive_reason"] == "NEWER_INSTALL_ACTIVE"
    assert {k: answer["displacement"][k] for k in ("new_install_id", "reason")} == {
        "new_install_id": newest["install_id"],
        "reason": "newer_install",
    }
    assert answer["displacement"]["displaced_at"].endswith("Z")


def test_the_active_install_and_a_tablet_that_never_held_the_role_are_told_nothing(api, tenant):
    _, never_active, newest = _displaced_phone(api, tenant)

    assert status(api, newest["credentials"]["access_token"])["displacement"] is None
    assert status(api, never_active["credentials"]["access_token"])["displacement"] is None


def test_the_displaced_install_learns_it_from_its_upload_answer(api, tenant):
    old, _, newest = _displaced_phone(api, tenant)

    answer = upload(api, old["credentials"]["access_token"], [payload("late")]).json()

    assert answer["results"] == [{"id": "late", "status": "not_processed"}]
    assert answer["displacement"]["new_install_id"] == newest["install_id"]


def test_the_active_installs_upload_answer_is_unchanged(api, tenant):
    _, _, newest = _displaced_phone(api, tenant)

    answer = upload(api, newest["credentials"]["access_token"], [payload("p")]).json()

    assert answer == {"is_remote_enabled": True, "results": [{"id": "p", "status": "processed"}]}


def test_the_displaced_install_learns_it_from_its_token_refresh(api, tenant):
    old, _, newest = _displaced_phone(api, tenant)

    response = api.post(
        "/sdk/v1/token", json={"refresh_token": old["credentials"]["refresh_token"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["displacement"]["new_install_id"] == newest["install_id"]
    assert response.json()["credentials"]["access_token"]


def test_an_install_that_gets_the_role_back_is_no_longer_told_it_was_displaced(api, tenant):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    api.post("/sdk/v1/reset", headers=bearer(new["credentials"]["access_token"]))

    answer = status(api, old["credentials"]["access_token"])

    assert (answer["is_remote_enabled"], answer["displacement"]) == (True, None)


@contextlib.contextmanager
def _statements(runtime):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.database.engine, "before_cursor_execute", record)


def test_a_displacing_restore_costs_two_statements_more_than_a_creation_and_one_audit_insert(
    api, tenant, runtime
):
    """A restore that displaces the active phone reads the user's live installs (a creation
    skips it: a new user has none) and takes the role with one UPDATE; its `install.displaced`
    rides in the transaction's one audit INSERT."""
    first_code = issue_code(api, tenant.link_key, "alice")
    second_code = issue_code(api, tenant.link_key, "alice")
    redeem(api, issue_code(api, tenant.link_key, "bob"))  # the app is in the lookups now
    with _statements(runtime) as creation:
        redeem(api, first_code, device=phone("Pixel 6"))
    with _statements(runtime) as restore:
        redeem(api, second_code, device=phone("Pixel 9"))

    audit_inserts = [s for s in restore if "INSERT INTO audit_events" in s]
    assert len(audit_inserts) == 1
    assert len(restore) == len(creation) + 2
    assert len(_details(runtime)) == 1
