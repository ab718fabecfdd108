"""Held payloads: what a displaced (inactive) install uploads is kept apart, listed, and merged
into the timeline on request, in order."""

from __future__ import annotations

import uuid

import pytest

from userlink.audit.rules import AuditEvent
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    payload,
    phone,
    redeem,
    upload,
)
from userlink_testing.factories.records import audit_rows


def _day(n: int) -> str:
    return f"2026-01-{n:02d}T00:00:00Z"


@pytest.fixture
def displaced(api, tenant):
    """Alice's old phone, displaced by a new one: each has sent payloads, the old one late."""
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    upload(api, old["credentials"]["access_token"], [payload("o1", at=_day(1))])
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    upload(api, new["credentials"]["access_token"], [payload("n3", at=_day(3))])
    late = upload(
        api,
        old["credentials"]["access_token"],
        [payload("late2", at=_day(2)), payload("late4", at=_day(4))],
    )
    assert [r["status"] for r in late.json()["results"]] == ["not_processed", "not_processed"]
    return old, new


def _held(api, key, user_id, **params):
    response = api.get(f"/v2/users/{user_id}/held-payloads", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


def _timeline_ids(api, key, user_id):
    response = api.get(f"/v2/users/{user_id}/timeline", headers=bearer(key))
    return [item["id"] for item in response.json()["items"]]


def _merge(api, key, user_id, **body):
    return api.post(f"/v2/users/{user_id}/held-payloads/merge", json=body, headers=bearer(key))


def test_a_displaced_phones_late_payloads_are_held_and_listed_in_order(api, tenant, displaced):
    old, _ = displaced

    held = _held(api, tenant.read_key, old["user_id"])

    assert [(i["id"], i["install_id"], i["timestamp"]) for i in held["items"]] == [
        ("late2", old["install_id"], "2026-01-02T00:00:00.000Z"),
        ("late4", old["install_id"], "2026-01-04T00:00:00.000Z"),
    ]
    assert all(i["received_at"] for i in held["items"])
    assert held["next_cursor"] is None
    assert _timeline_ids(api, tenant.read_key, old["user_id"]) == ["o1", "n3"]


def test_held_payloads_are_listed_in_pages(api, tenant, displaced):
    old, _ = displaced

    first = _held(api, tenant.read_key, old["user_id"], limit=1)
    second = _held(api, tenant.read_key, old["user_id"], limit=1, cursor=first["next_cursor"])

    assert [i["id"] for i in first["items"] + second["items"]] == ["late2", "late4"]
    assert second["next_cursor"] is None


def test_held_payloads_are_filtered_by_install_and_time(api, tenant, displaced):
    old, new = displaced
    user_id = old["user_id"]

    of_new = _held(api, tenant.read_key, user_id, install_id=new["install_id"])
    in_range = _held(api, tenant.read_key, user_id, since=_day(3), until=_day(5))

    assert of_new["items"] == []
    assert [i["id"] for i in in_range["items"]] == ["late4"]


def test_merging_moves_every_held_payload_into_the_timeline_in_order(api, tenant, displaced):
    old, _ = displaced

    response = _merge(api, tenant.link_key, old["user_id"])

    assert response.status_code == 200, response.text
    assert response.json() == {"merged": 2}
    assert _timeline_ids(api, tenant.read_key, old["user_id"]) == ["o1", "late2", "n3", "late4"]
    assert _held(api, tenant.read_key, old["user_id"])["items"] == []


def test_merging_twice_merges_nothing_new(api, tenant, displaced):
    old, _ = displaced
    _merge(api, tenant.link_key, old["user_id"])

    again = _merge(api, tenant.link_key, old["user_id"])

    assert again.json() == {"merged": 0}
    assert _timeline_ids(api, tenant.read_key, old["user_id"]) == ["o1", "late2", "n3", "late4"]


def test_merging_by_install_and_time_range_moves_only_those(api, tenant, displaced):
    old, _ = displaced

    response = _merge(
        api,
        tenant.link_key,
        old["user_id"],
        install_id=old["install_id"],
        since=_day(1),
        until=_day(3),
    )

    assert response.json() == {"merged": 1}
    assert _timeline_ids(api, tenant.read_key, old["user_id"]) == ["o1", "late2", "n3"]
    assert [i["id"] for i in _held(api, tenant.read_key, old["user_id"])["items"]] == ["late4"]


def test_a_timeline_cursor_taken_before_a_merge_stays_valid(api, tenant, displaced):
    old, _ = displaced
    user_id = old["user_id"]
    first = api.get(
        f"/v2/users/{user_id}/timeline", params={"limit": 1}, headers=bearer(tenant.read_key)
    ).json()
    _merge(api, tenant.link_key, user_id)

    rest = api.get(
        f"/v2/users/{user_id}/timeline",
        params={"cursor": first["next_cursor"]},
        headers=bearer(tenant.read_key),
    ).json()

    assert [i["id"] for i in first["items"]] == ["o1"]
    assert [i["id"] for i in rest["items"]] == ["late2", "n3", "late4"]


def test_a_merge_is_recorded_in_the_ledger(api, tenant, displaced, runtime):
    old, _ = displaced

    _merge(api, tenant.link_key, old["user_id"], install_id=old["install_id"])

    [event] = audit_rows(runtime, AuditEvent.HELD_PAYLOADS_MERGED.value)
    assert (str(event["user_id"]), str(event["install_id"]), event["details"]["merged"]) == (
        old["user_id"],
        old["install_id"],
        2,
    )


def test_payloads_a_displaced_install_sends_after_a_merge_are_held_again(api, tenant, displaced):
    old, _ = displaced
    _merge(api, tenant.link_key, old["user_id"])

    upload(api, old["credentials"]["access_token"], [payload("late5", at=_day(5))])

    assert [i["id"] for i in _held(api, tenant.read_key, old["user_id"])["items"]] == ["late5"]


def test_listing_needs_the_read_scope_and_merging_the_link_scope(api, tenant, displaced):
    old, _ = displaced

    listing = api.get(f"/v2/users/{old['user_id']}/held-payloads", headers=bearer(tenant.link_key))
    merging = _merge(api, tenant.read_key, old["user_id"])

    assert (listing.status_code, merging.status_code) == (403, 403)
    assert _held(api, tenant.read_key, old["user_id"])["items"] != []


def test_an_unknown_user_is_not_found(api, tenant):
    response = api.get(f"/v2/users/{uuid.uuid4()}/held-payloads", headers=bearer(tenant.read_key))

    assert response.status_code == 404
    assert response.json()["errorCode"] == "USER_NOT_FOUND"


@pytest.mark.parametrize("install_id", ["not-a-uuid", str(uuid.uuid4())])
def test_an_install_that_is_not_the_users_is_not_found(api, tenant, displaced, install_id):
    old, _ = displaced

    response = _merge(api, tenant.link_key, old["user_id"], install_id=install_id)

    assert response.status_code == 404
    assert response.json()["errorCode"] == "INSTALL_NOT_FOUND"


def test_an_empty_time_range_is_refused(api, tenant, displaced):
    old, _ = displaced

    response = _merge(api, tenant.link_key, old["user_id"], since=_day(3), until=_day(3))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_TIME_RANGE"


def test_a_time_without_a_zone_is_refused(api, tenant, displaced):
    old, _ = displaced

    response = api.get(
        f"/v2/users/{old['user_id']}/held-payloads",
        params={"since": "2026-01-01T00:00:00"},
        headers=bearer(tenant.read_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"


def test_a_bad_cursor_is_refused(api, tenant, displaced):
    old, _ = displaced

    response = api.get(
        f"/v2/users/{old['user_id']}/held-payloads",
        params={"cursor": "nonsense"},
        headers=bearer(tenant.read_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_CURSOR"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z"])
def test_a_time_outside_1970_to_9999_is_refused(api, tenant, displaced, moment):
    old, _ = displaced

    listing = api.get(
        f"/v2/users/{old['user_id']}/held-payloads",
        params={"since": moment},
        headers=bearer(tenant.read_key),
    )
    merging = _merge(api, tenant.link_key, old["user_id"], until=moment)

    assert (listing.status_code, merging.status_code) == (422, 422)
    assert {listing.json()["errorCode"], merging.json()["errorCode"]} == {"INVALID_TIME_RANGE"}
