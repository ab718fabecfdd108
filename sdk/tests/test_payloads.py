import json
import os
import sqlite3
import stat
import uuid
from datetime import UTC, datetime

import pytest

from userlink_sdk import (
    DeviceStateError,
    PayloadSubmissionError,
    PayloadSubmissionFailureReason,
    PayloadUploadError,
    PayloadUploadFailureReason,
    UploadReport,
    UserCreationOptions,
)


def submit(sdk, count, type="trip"):
    return [sdk.submit_payload(type, {"n": n}) for n in range(count)]


@pytest.fixture
def batched_sdk(make_sdk, platform):
    """A device with a user, on a platform whose configuration says batches of 2."""
    platform.upload_config["max_batch_size"] = 2
    sdk = make_sdk()
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    return sdk


def test_submit_payload_returns_a_uuid4_id(user_sdk):
    payload_id = user_sdk.submit_payload("trip", {"km": 3})

    assert uuid.UUID(payload_id).version == 4


def test_submit_payload_is_committed_before_returning(user_sdk, state_dir):
    payload_id = user_sdk.submit_payload("trip", {"km": 3})

    with sqlite3.connect(state_dir / "queue.sqlite3") as conn:
        rows = conn.execute("SELECT id FROM payloads").fetchall()
    assert rows == [(payload_id,)]


def test_queue_file_has_mode_0600(user_sdk, state_dir):
    user_sdk.submit_payload("trip", {"km": 3})

    assert stat.S_IMODE(os.stat(state_dir / "queue.sqlite3").st_mode) == 0o600


def test_submit_payload_without_user_fails_with_no_user(sdk):
    with pytest.raises(PayloadSubmissionError) as caught:
        sdk.submit_payload("trip", {"km": 3})

    assert caught.value.reason is PayloadSubmissionFailureReason.NO_USER


def test_submit_oversized_payload_fails_with_payload_too_large(user_sdk):
    with pytest.raises(PayloadSubmissionError) as caught:
        user_sdk.submit_payload("trip", {"blob": "x" * 65536})

    assert caught.value.reason is PayloadSubmissionFailureReason.PAYLOAD_TOO_LARGE
    assert "65536" in caught.value.details


def test_submit_payload_uses_the_limit_from_the_configuration(make_sdk, platform):
    platform.upload_config["max_payload_bytes"] = 100
    sdk = make_sdk()
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    with pytest.raises(PayloadSubmissionError):
        sdk.submit_payload("trip", {"blob": "x" * 100})


def test_submit_payload_refuses_a_naive_timestamp(user_sdk):
    with pytest.raises(ValueError, match="timezone-aware"):
        user_sdk.submit_payload("trip", {}, timestamp=datetime(2026, 1, 1))


def test_submit_payload_refuses_a_body_that_is_not_json(user_sdk):
    with pytest.raises(TypeError):
        user_sdk.submit_payload("trip", {"when": object()})


def test_queue_survives_a_new_object_on_the_same_dir(user_sdk, make_sdk, platform):
    ids = submit(user_sdk, 3)
    del user_sdk  # the app is killed: nothing but the files remain

    make_sdk().upload_payloads()

    (install,) = platform.installs.values()
    assert platform.timeline[install.user_id] == ids


def test_upload_sends_the_payload_with_its_id_type_timestamp_and_body(user_sdk, platform):
    payload_id = user_sdk.submit_payload(
        "trip", {"km": 3}, timestamp=datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    )

    user_sdk.upload_payloads()

    (request,) = platform.requests_to("POST", "payloads")
    assert json.loads(request.content) == {
        "payloads": [
            {
                "id": payload_id,
                "type": "trip",
                "timestamp": "2026-11-21T10:30:00.000Z",
                "body": {"km": 3},
            }
        ]
    }


def test_upload_reports_what_it_sent(user_sdk):
    submit(user_sdk, 3)

    report = user_sdk.upload_payloads()

    assert report == UploadReport(sent=3, processed=3, remaining=0, is_remote_enabled=True)


def test_upload_empties_the_queue(user_sdk):
    submit(user_sdk, 3)

    user_sdk.upload_payloads()

    assert user_sdk.pending_payloads() == 0


def test_upload_sends_batches_of_max_batch_size(batched_sdk, platform):
    submit(batched_sdk, 5)

    batched_sdk.upload_payloads()

    sizes = [
        len(json.loads(r.content)["payloads"]) for r in platform.requests_to("POST", "payloads")
    ]
    assert sizes == [2, 2, 1]


def test_upload_stops_after_max_batches(batched_sdk):
    submit(batched_sdk, 5)

    report = batched_sdk.upload_payloads(max_batches=1)

    assert (report.sent, report.remaining) == (2, 3)


def test_upload_keeps_queue_order_across_batches(batched_sdk, platform):
    ids = submit(batched_sdk, 5)

    batched_sdk.upload_payloads()

    assert platform.timeline[batched_sdk.user_id] == ids


def test_upload_halves_the_batch_when_the_server_says_batch_too_large(make_sdk, platform):
    platform.server_max_batch = 2
    sdk = make_sdk()
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    ids = submit(sdk, 5)

    sdk.upload_payloads()

    assert platform.timeline[sdk.user_id] == ids


def test_upload_retries_transient_failures_with_exponential_backoff(
    user_sdk, network, sleeps, platform
):
    ids = submit(user_sdk, 2)
    network.faults = ["refuse", "http_503", "http_429"]

    user_sdk.upload_payloads()

    assert (sleeps, platform.timeline[user_sdk.user_id]) == ([1.0, 2.0, 4.0], ids)


def test_upload_after_a_lost_answer_never_duplicates_the_timeline(user_sdk, network, platform):
    ids = submit(user_sdk, 2)
    network.faults = ["drop_answer"]

    report = user_sdk.upload_payloads()

    assert (platform.timeline[user_sdk.user_id], report.duplicates, report.remaining) == (
        ids,
        2,
        0,
    )


def test_upload_keeps_payloads_when_retries_are_exhausted(user_sdk, network):
    submit(user_sdk, 2)
    network.down = True

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert (caught.value.reason, caught.value.report.remaining) == (
        PayloadUploadFailureReason.NETWORK_ERROR,
        2,
    )


def test_payloads_kept_after_a_failure_are_sent_later(user_sdk, network, platform):
    ids = submit(user_sdk, 2)
    network.down = True
    with pytest.raises(PayloadUploadError):
        user_sdk.upload_payloads()
    network.down = False

    user_sdk.upload_payloads()

    assert platform.timeline[user_sdk.user_id] == ids


def test_upload_without_user_fails_with_no_user(sdk):
    with pytest.raises(PayloadUploadError) as caught:
        sdk.upload_payloads()

    assert caught.value.reason is PayloadUploadFailureReason.NO_USER


def test_upload_refreshes_an_expired_access_token(user_sdk, clock, platform):
    ids = submit(user_sdk, 1)
    clock.advance(hours=2)

    user_sdk.upload_payloads()

    assert platform.timeline[user_sdk.user_id] == ids


def test_upload_of_a_deregistered_install_fails_with_user_disabled_remotely(user_sdk, platform):
    submit(user_sdk, 1)
    platform.deregister(next(iter(platform.installs)))

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert caught.value.reason is PayloadUploadFailureReason.USER_DISABLED_REMOTELY


def test_upload_drops_a_payload_the_server_refuses_and_sends_the_others(user_sdk, platform):
    good_before = user_sdk.submit_payload("trip", {})
    refused = user_sdk.submit_payload("bad", {})
    good_after = user_sdk.submit_payload("trip", {})
    platform.refused_types = {"bad"}

    report = user_sdk.upload_payloads()

    assert (platform.timeline[user_sdk.user_id], report.rejected, report.remaining) == (
        [good_before, good_after],
        1,
        0,
    )
    assert refused not in platform.received[next(iter(platform.installs))]


# -- inactive installs -------------------------------------------------------------------------


def test_upload_stops_after_an_answer_says_inactive(batched_sdk, platform):
    submit(batched_sdk, 5)
    platform.deactivate(next(iter(platform.installs)))

    report = batched_sdk.upload_payloads()

    assert (report.sent, report.not_processed, report.remaining, report.is_remote_enabled) == (
        2,
        2,
        3,
        False,
    )


def test_upload_sends_nothing_while_the_install_is_inactive(user_sdk, platform):
    submit(user_sdk, 1)
    platform.deactivate(next(iter(platform.installs)))
    user_sdk.sdk_status()

    report = user_sdk.upload_payloads()

    assert (report.sent, report.remaining, platform.requests_to("POST", "payloads")) == (0, 1, [])


def test_upload_while_inactive_asks_the_status_first(user_sdk, platform):
    submit(user_sdk, 1)
    platform.deactivate(next(iter(platform.installs)))
    user_sdk.sdk_status()

    user_sdk.upload_payloads()

    assert len(platform.requests_to("GET", "status")) == 2


def test_upload_resumes_when_the_status_says_active_again(user_sdk, platform):
    ids = submit(user_sdk, 2)
    install_id = next(iter(platform.installs))
    platform.deactivate(install_id)
    user_sdk.sdk_status()
    platform.activate(install_id)

    report = user_sdk.upload_payloads()

    assert (report.processed, platform.timeline[user_sdk.user_id]) == (2, ids)


def test_reset_removes_queued_payloads(user_sdk, platform):
    submit(user_sdk, 2)
    user_sdk.reset()
    user_sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert user_sdk.pending_payloads() == 0


def test_corrupt_queue_file_raises_device_state_error_naming_the_file(user_sdk, state_dir):
    (state_dir / "queue.sqlite3").write_bytes(b"this is not a database" * 100)

    with pytest.raises(DeviceStateError) as caught:
        user_sdk.submit_payload("trip", {})

    assert caught.value.path == str(state_dir / "queue.sqlite3")
