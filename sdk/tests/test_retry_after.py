"""A 429 or 503 that names a wait (`Retry-After`) is retried after that wait, as long as the
call's waits stay within the `timeout` the app gave; longer, the call fails at once."""

import httpx
import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    LegacyConfig,
    PayloadUploadError,
    PayloadUploadFailureReason,
    SdkStatusError,
    SdkStatusFailureReason,
    UserCreationOptions,
)


def later(retry_after: str, *, status: int = 429, **headers: str) -> httpx.Response:
    """An answer, sent without processing the request, asking to come back later."""
    code = "RATE_LIMITED" if status == 429 else "UNAVAILABLE"
    return httpx.Response(
        status,
        headers={"Retry-After": retry_after, **headers},
        json={"message": "come back later", "errorCode": code, "ref": "ref-1"},
    )


def with_user(make_sdk, platform, **kwargs):
    sdk = make_sdk(**kwargs)
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    return sdk


def test_upload_waits_as_long_as_a_429_asks_then_sends(user_sdk, network, sleeps, platform):
    ids = [user_sdk.submit_payload("trip", {"n": n}) for n in range(2)]
    network.faults = [later("7")]

    user_sdk.upload_payloads()

    assert (sleeps, platform.timeline[user_sdk.user_id]) == ([7.0], ids)


def test_sdk_status_waits_as_long_as_a_503_asks(user_sdk, network, sleeps):
    network.faults = [later("2", status=503)]

    status = user_sdk.sdk_status()

    assert (status.user_exists, sleeps) == (True, [2.0])


def test_create_user_waits_as_long_as_a_429_asks(sdk, platform, network, sleeps):
    network.faults = [later("3")]

    result = sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert (result.user_info.user_id, sleeps) == (sdk.user_id, [3.0])


def test_legacy_registration_waits_as_long_as_a_429_asks_and_registers_once(
    sdk, platform, network, sleeps
):
    network.faults = [later("3")]

    sdk.initialize(
        LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=NO_OP_LINKER)
    )

    assert (sdk.user_exists(), len(platform.users), sleeps) == (True, 1, [3.0])


def test_token_refresh_waits_as_long_as_a_503_asks(user_sdk, network, sleeps, clock):
    clock.advance(hours=2)
    network.faults = [later("1", status=503)]

    token = user_sdk.request_user_access_token()

    assert (token.is_expired(clock()), sleeps) == (False, [1.0])


def test_a_wait_longer_than_the_timeout_fails_at_once_with_server_error(
    make_sdk, platform, network, sleeps
):
    sdk = with_user(make_sdk, platform, timeout=10.0)
    network.faults = [later("30")]

    with pytest.raises(SdkStatusError) as caught:
        sdk.sdk_status()

    assert (caught.value.reason, sleeps) == (SdkStatusFailureReason.SERVER_ERROR, [])
    assert "retry after 30 s" in caught.value.details


def test_an_upload_told_to_wait_past_the_timeout_does_not_back_off_either(
    user_sdk, network, sleeps
):
    user_sdk.submit_payload("trip", {"n": 1})
    network.faults = [later("60")]

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert (caught.value.reason, caught.value.report.remaining, sleeps) == (
        PayloadUploadFailureReason.SERVER_ERROR,
        1,
        [],
    )


def test_the_waits_of_one_call_add_up_to_at_most_its_timeout(make_sdk, platform, network, sleeps):
    sdk = with_user(make_sdk, platform, timeout=10.0)
    network.faults = [later("4"), later("4"), later("4")]

    with pytest.raises(SdkStatusError):
        sdk.sdk_status()

    assert sleeps == [4.0, 4.0]


def test_each_call_may_wait_up_to_its_own_timeout(make_sdk, platform, network, sleeps):
    sdk = with_user(make_sdk, platform, timeout=5.0)
    network.faults = [later("4")]
    sdk.sdk_status()
    network.faults = [later("4")]

    sdk.sdk_status()

    assert sleeps == [4.0, 4.0]


def test_retry_after_as_a_date_is_read_against_the_answers_own_date(user_sdk, network, sleeps):
    network.faults = [
        later("Wed, 21 Oct 2015 07:28:05 GMT", Date="Wed, 21 Oct 2015 07:28:00 GMT"),
    ]

    user_sdk.sdk_status()

    assert sleeps == [5.0]


def test_retry_after_on_another_status_is_not_waited_for(user_sdk, network, sleeps):
    network.faults = [
        httpx.Response(
            500,
            headers={"Retry-After": "1"},
            json={"message": "boom", "errorCode": "INTERNAL_ERROR", "ref": "ref-2"},
        )
    ]

    with pytest.raises(SdkStatusError) as caught:
        user_sdk.sdk_status()

    assert (caught.value.reason, sleeps) == (SdkStatusFailureReason.SERVER_ERROR, [])


def test_a_server_that_keeps_asking_for_no_wait_is_given_up(user_sdk, network, sleeps):
    network.faults = [later("0") for _ in range(20)]

    with pytest.raises(SdkStatusError):
        user_sdk.sdk_status()

    assert sleeps == [0.0] * 10
