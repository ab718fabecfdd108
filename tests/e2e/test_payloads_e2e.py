"""Payloads (DESIGN §2.4), through the SDK against the real runtime: queued durably on the
device, uploaded in batches never twice, processed only from the active install, and read back by
the customer backend as one timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from userlink_sdk import UserCreationOptions

from .conftest import NEW_PHONE, PHONE, TABLET, LoseAnswers

START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def create(device, live, customer, external_id="alice"):
    return device.create_user(
        UserCreationOptions(auth_code=customer.auth_code(external_id), platform_url=live.url)
    )


def seen(timeline):
    return [(item["id"], item["type"], item["body"]) for item in timeline]


def test_payloads_queued_before_the_app_was_killed_are_uploaded_by_the_next_start(
    live, customer, make_device
):
    phone = make_device("phone")
    create(phone, live, customer)
    ids = [
        phone.submit_payload("trip", {"km": 12.5, "mode": "car"}, timestamp=at(1)),
        phone.submit_payload("stop", {"place": "café"}, timestamp=at(2)),
        phone.submit_payload("trip", {"km": 3}, timestamp=at(3)),
    ]
    phone.close()  # the app is killed: nothing was uploaded
    restarted = make_device("phone")

    report = restarted.upload_payloads()

    assert (report.sent, report.processed, report.remaining) == (3, 3, 0)
    timeline = customer.timeline(restarted.user_id)
    assert seen(timeline) == [
        (ids[0], "trip", {"km": 12.5, "mode": "car"}),
        (ids[1], "stop", {"place": "café"}),
        (ids[2], "trip", {"km": 3}),
    ]
    assert [datetime.fromisoformat(item["timestamp"]) for item in timeline] == [
        at(1),
        at(2),
        at(3),
    ]
    assert {item["install_id"] for item in timeline} == {restarted.sdk_status().install_id}


def test_a_retried_upload_after_a_lost_answer_stores_each_payload_once(
    live, customer, make_device, sleeps
):
    phone = make_device("phone")
    create(phone, live, customer)
    ids = [phone.submit_payload("trip", {"n": n}, timestamp=at(n)) for n in range(3)]
    network = LoseAnswers("/sdk/v1/payloads")
    restarted = make_device("phone", transport=network)

    report = restarted.upload_payloads()

    assert len(network.requests_to("/sdk/v1/payloads")) == 2
    assert [r["status"] for r in network.lost_answers[0]["results"]] == ["processed"] * 3
    assert (report.sent, report.duplicates, report.remaining) == (3, 3, 0)
    assert sleeps == [1.0]
    assert [item["id"] for item in customer.timeline(restarted.user_id)] == ids


def test_a_batch_over_the_platform_request_size_limit_is_split_and_fully_processed(
    live, customer, make_device
):
    # 20 payloads of 60 kB: one batch by count (at most 100), but 1.2 MB on the wire, over the
    # platform's 1 MiB request limit (answered 413 PAYLOAD_TOO_LARGE); the SDK halves the batch.
    phone = make_device("phone")
    create(phone, live, customer)
    ids = [
        phone.submit_payload("trip", {"trace": "x" * 60_000, "n": n}, timestamp=at(n))
        for n in range(20)
    ]

    report = phone.upload_payloads()

    assert (report.processed, report.rejected, report.remaining) == (20, 0, 0)
    assert [item["id"] for item in customer.timeline(phone.user_id)] == ids


def test_a_payload_the_platform_refuses_is_dropped_without_blocking_the_others(
    live, customer, make_device
):
    # The runtime accepts payload types of at most 64 characters (422 VALIDATION_ERROR).
    phone = make_device("phone")
    create(phone, live, customer)
    before = phone.submit_payload("trip", {"n": 1}, timestamp=at(1))
    phone.submit_payload("t" * 65, {"n": 2}, timestamp=at(2))
    after = phone.submit_payload("trip", {"n": 3}, timestamp=at(3))

    report = phone.upload_payloads()

    assert (report.processed, report.rejected, report.remaining) == (2, 1, 0)
    assert [item["id"] for item in customer.timeline(phone.user_id)] == [before, after]


def test_uploading_again_after_everything_was_acknowledged_sends_nothing(
    live, customer, make_device
):
    phone = make_device("phone")
    create(phone, live, customer)
    phone.submit_payload("trip", {"n": 1}, timestamp=at(1))
    phone.upload_payloads()

    report = phone.upload_payloads()

    assert (report.sent, report.remaining) == (0, 0)
    assert len(customer.timeline(phone.user_id)) == 1


def test_an_inactive_tablet_sends_nothing_and_its_payloads_stay_out_of_the_timeline(
    live, customer, make_device
):
    phone = make_device("phone", PHONE)
    create(phone, live, customer)
    from_phone = phone.submit_payload("trip", {"from": "phone"}, timestamp=at(1))
    phone.upload_payloads()
    network = LoseAnswers("/sdk/v1/payloads", count=0)  # records only
    tablet = make_device("tablet", TABLET, transport=network)
    create(tablet, live, customer)
    tablet.submit_payload("trip", {"from": "tablet"}, timestamp=at(2))

    report = tablet.upload_payloads()

    assert (report.sent, report.remaining, report.is_remote_enabled) == (0, 1, False)
    assert network.requests_to("/sdk/v1/payloads") == []
    assert seen(customer.timeline(phone.user_id)) == [(from_phone, "trip", {"from": "phone"})]


def test_a_tablet_that_lost_the_active_role_has_its_batch_acknowledged_as_not_processed(
    live, customer, make_device
):
    tablet = make_device("tablet", TABLET)
    create(tablet, live, customer)
    tablet.submit_payload("trip", {"from": "tablet"}, timestamp=at(1))
    phone = make_device("phone", PHONE)
    create(phone, live, customer)  # the phone takes the active role; the tablet does not know yet

    report = tablet.upload_payloads()

    assert (report.sent, report.not_processed, report.remaining) == (1, 1, 0)
    assert report.is_remote_enabled is False
    assert customer.timeline(phone.user_id) == []
    assert tablet.sdk_status().inactive_reason == "PHONE_PREFERRED_OVER_TABLET"


def test_the_queue_of_an_inactive_tablet_is_processed_once_it_becomes_active(
    live, customer, make_device
):
    phone = make_device("phone", PHONE)
    create(phone, live, customer)
    tablet = make_device("tablet", TABLET)
    create(tablet, live, customer)
    kept = tablet.submit_payload("trip", {"from": "tablet"}, timestamp=at(1))
    assert tablet.upload_payloads().sent == 0
    phone.reset()  # the tablet is the user's only install now

    report = tablet.upload_payloads()

    assert (report.processed, report.remaining, report.is_remote_enabled) == (1, 0, True)
    assert [item["id"] for item in customer.timeline(tablet.user_id)] == [kept]


def test_the_timeline_spans_a_reinstall_and_a_new_phone_as_one_ordered_sequence(
    live, customer, make_device
):
    phone = make_device("phone", PHONE)
    create(phone, live, customer)
    first = phone.submit_payload("trip", {"leg": 1}, timestamp=at(1))
    phone.upload_payloads()
    first_install = phone.sdk_status().install_id
    phone.reset()
    create(phone, live, customer)  # reinstall
    second = phone.submit_payload("trip", {"leg": 2}, timestamp=at(2))
    phone.upload_payloads()
    second_install = phone.sdk_status().install_id
    new_phone = make_device("new-phone", NEW_PHONE)
    create(new_phone, live, customer)
    third = new_phone.submit_payload("trip", {"leg": 3}, timestamp=at(3))

    new_phone.upload_payloads()

    timeline = customer.timeline(new_phone.user_id)
    assert [(item["id"], item["body"]) for item in timeline] == [
        (first, {"leg": 1}),
        (second, {"leg": 2}),
        (third, {"leg": 3}),
    ]
    assert [item["install_id"] for item in timeline] == [
        first_install,
        second_install,
        new_phone.sdk_status().install_id,
    ]


def test_the_timeline_is_ordered_by_when_payloads_happened_not_when_they_arrived(
    live, customer, make_device
):
    old_phone = make_device("old-phone", PHONE)
    create(old_phone, live, customer)
    late = old_phone.submit_payload("trip", {"leg": "before the switch"}, timestamp=at(1))
    old_phone.upload_payloads()
    new_phone = make_device("new-phone", NEW_PHONE)
    create(new_phone, live, customer)
    newest = new_phone.submit_payload("trip", {"leg": "after the switch"}, timestamp=at(3))
    backfill = new_phone.submit_payload("trip", {"leg": "backfilled"}, timestamp=at(2))

    new_phone.upload_payloads()

    assert [item["id"] for item in customer.timeline(new_phone.user_id)] == [
        late,
        backfill,
        newest,
    ]
