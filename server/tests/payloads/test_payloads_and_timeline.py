"""Payload upload from installs, and the user's one continuous timeline."""

from __future__ import annotations

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    payload,
    phone,
    redeem,
    tablet,
    upload,
)


def _timeline(api, key, user_id, **params):
    response = api.get(f"/v2/users/{user_id}/timeline", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_active_install_payloads_are_processed_into_the_timeline(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(api, device["credentials"]["access_token"], [payload("p1", n=1)])

    assert response.json() == {
        "is_remote_enabled": True,
        "results": [{"id": "p1", "status": "processed"}],
    }
    items = _timeline(api, tenant.read_key, device["user_id"])["items"]
    assert [(i["id"], i["body"]) for i in items] == [("p1", {"n": 1})]


def test_inactive_install_payloads_are_kept_apart(api, tenant):
    active = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    inactive = redeem(api, issue_code(api, tenant.link_key, "alice"), device=tablet())

    response = upload(api, inactive["credentials"]["access_token"], [payload("t1")])

    assert response.json() == {
        "is_remote_enabled": False,
        "results": [{"id": "t1", "status": "not_processed"}],
    }
    assert _timeline(api, tenant.read_key, active["user_id"])["items"] == []


def test_a_retried_batch_is_not_stored_twice(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["access_token"]
    upload(api, token, [payload("p1"), payload("p2")])

    retry = upload(api, token, [payload("p1"), payload("p2"), payload("p3")])

    assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "duplicate", "processed"]
    assert len(_timeline(api, tenant.read_key, device["user_id"])["items"]) == 3


def test_timeline_is_continuous_across_reinstalls_and_devices(api, tenant):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    upload(api, first["credentials"]["access_token"], [payload("a", at="2026-01-01T00:00:00Z")])
    second = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    upload(api, second["credentials"]["access_token"], [payload("b", at="2026-02-01T00:00:00Z")])
    upload(api, first["credentials"]["access_token"], [payload("late", at="2026-03-01T00:00:00Z")])

    items = _timeline(api, tenant.read_key, first["user_id"])["items"]

    assert [i["id"] for i in items] == ["a", "b"]
    assert {i["install_id"] for i in items} == {first["install_id"], second["install_id"]}


def test_timeline_is_ordered_by_payload_time_and_paginated(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["access_token"]
    upload(
        api,
        token,
        [payload(f"p{n}", at=f"2026-01-{n:02d}T00:00:00Z") for n in (5, 1, 4, 2, 3)],
    )

    first_page = _timeline(api, tenant.read_key, device["user_id"], limit=2)
    second_page = _timeline(
        api, tenant.read_key, device["user_id"], limit=2, cursor=first_page["next_cursor"]
    )
    third_page = _timeline(
        api, tenant.read_key, device["user_id"], limit=2, cursor=second_page["next_cursor"]
    )

    pages = [first_page, second_page, third_page]
    assert [[i["id"] for i in page["items"]] for page in pages] == [
        ["p1", "p2"],
        ["p3", "p4"],
        ["p5"],
    ]
    assert third_page["next_cursor"] is None


def test_payloads_of_one_instant_are_paged_each_once_in_the_order_they_were_stored(api, tenant):
    """Ties on the time are broken by the stored row, and a cursor taken inside a tie resumes
    right after it: the stored time and the cursor's are the same text on every database."""
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["access_token"]
    moments = ["2026-01-01T00:00:00Z"] * 3 + ["2026-01-01T00:00:00.5Z"] * 2
    upload(api, token, [payload(f"p{n}", at=at) for n, at in enumerate(moments)])

    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = _timeline(api, tenant.read_key, device["user_id"], **params)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == ["p0", "p1", "p2", "p3", "p4"]


def test_a_batch_over_100_payloads_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(api, device["credentials"]["access_token"], [payload() for _ in range(101)])

    assert response.status_code == 413
    assert response.json()["errorCode"] == "BATCH_TOO_LARGE"


def test_a_payload_over_64_kib_is_refused_and_nothing_is_stored(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(
        api,
        device["credentials"]["access_token"],
        [payload("ok"), payload("big", blob="x" * 70_000)],
    )

    assert response.status_code == 413
    assert response.json()["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert _timeline(api, tenant.read_key, device["user_id"])["items"] == []


def test_a_batch_with_several_faults_is_refused_for_the_first_faulty_payload(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["access_token"]
    late = payload("late", at="9999-12-31T23:00:00-05:00")
    big = payload("big", blob="x" * 70_000)

    big_first = upload(api, token, [payload("ok"), big, late, payload("ok")])
    late_first = upload(api, token, [payload("ok"), late, big, payload("ok")])

    assert (big_first.status_code, big_first.json()["errorCode"]) == (413, "PAYLOAD_TOO_LARGE")
    assert "Payload big " in big_first.json()["message"]
    assert (late_first.status_code, late_first.json()["errorCode"]) == (422, "INVALID_TIMESTAMP")
    assert "Payload late:" in late_first.json()["message"]
    assert _timeline(api, tenant.read_key, device["user_id"])["items"] == []


def test_duplicate_ids_inside_one_batch_are_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(api, device["credentials"]["access_token"], [payload("x"), payload("x")])

    assert response.status_code == 422
    assert response.json()["errorCode"] == "DUPLICATE_PAYLOAD_ID"


def test_a_timestamp_without_a_time_zone_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(
        api, device["credentials"]["access_token"], [payload("x", at="2026-01-01T00:00:00")]
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"


def test_a_malformed_timestamp_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(api, device["credentials"]["access_token"], [payload("x", at="yesterday")])

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"


def test_an_empty_batch_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(api, device["credentials"]["access_token"], [])

    assert response.status_code == 422
    assert response.json()["errorCode"] == "EMPTY_BATCH"


def test_a_malformed_cursor_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.get(
        f"/v2/users/{device['user_id']}/timeline",
        params={"cursor": "%%%"},
        headers=bearer(tenant.read_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_CURSOR"


def test_timestamps_with_an_offset_are_stored_in_utc_and_ordered_by_the_instant(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    upload(
        api,
        device["credentials"]["access_token"],
        [
            payload("ten-in-paris", at="2026-01-01T10:00:00+02:00"),
            payload("nine-utc", at="2026-01-01T09:00:00Z"),
        ],
    )

    items = _timeline(api, tenant.read_key, device["user_id"])["items"]
    assert [(i["id"], i["timestamp"]) for i in items] == [
        ("ten-in-paris", "2026-01-01T08:00:00.000Z"),
        ("nine-utc", "2026-01-01T09:00:00.000Z"),
    ]


def test_a_timestamp_beyond_year_9999_in_utc_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(
        api, device["credentials"]["access_token"], [payload("x", at="9999-12-31T23:00:00-05:00")]
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_TIMESTAMP"
    assert _timeline(api, tenant.read_key, device["user_id"])["items"] == []


def test_a_body_with_nan_is_refused(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.post(
        "/sdk/v1/payloads",
        content=(
            b'{"payloads": [{"id": "x", "type": "t", '
            b'"timestamp": "2026-01-01T00:00:00Z", "body": {"v": NaN}}]}'
        ),
        headers={
            **bearer(device["credentials"]["access_token"]),
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"


def test_a_cursor_with_an_out_of_range_row_id_is_refused(api, tenant):
    import base64

    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    cursor = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|99999999999999999999").decode()

    response = api.get(
        f"/v2/users/{device['user_id']}/timeline",
        params={"cursor": cursor},
        headers=bearer(tenant.read_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_CURSOR"


def test_payloads_of_a_remote_disabled_app_are_not_processed(api, tenant, runtime):
    from userlink_testing.factories.apps import update_app

    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    update_app(runtime, tenant.app_id, is_remote_enabled=False)

    response = upload(api, device["credentials"]["access_token"], [payload("p1")])

    assert response.json() == {
        "is_remote_enabled": False,
        "results": [{"id": "p1", "status": "not_processed"}],
    }
    assert _timeline(api, tenant.read_key, device["user_id"])["items"] == []
