"""A 429 or 503 that names a wait (`Retry-After`) is retried after that wait, as long as the
call's waits stay within the `timeout` the app gave; longer, the call fails at once."""

import httpx
import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    InitError,
    InitIssue,
    LegacyConfig,
    PayloadUploadError,
    PayloadUploadFailureReason,
    SdkStatusError,
    SdkStatusFailureReason,
    UserAccessTokenError,
    UserCreationError,
    UserCreationFailureReason,
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


def test_a_wait_longer_than_the_timeout_fails_at_once_as_rate_limited_with_the_wait(
    make_sdk, platform, network, sleeps
):
    sdk = with_user(make_sdk, platform, timeout=10.0)
    network.faults = [later("30")]

    with pytest.raises(SdkStatusError) as caught:
        sdk.sdk_status()

    error = caught.value
    assert (error.reason, error.retry_after, error.error_code, error.request_ref, sleeps) == (
        SdkStatusFailureReason.RATE_LIMITED,
        30.0,
        "RATE_LIMITED",
        "ref-1",
        [],
    )
    assert "retry after 30 s" in error.details


def test_a_503_asking_for_a_wait_past_the_timeout_is_a_server_error_with_the_wait(
    make_sdk, platform, network, sleeps
):
    sdk = with_user(make_sdk, platform, timeout=10.0)
    network.faults = [later("30", status=503)]

    with pytest.raises(SdkStatusError) as caught:
        sdk.sdk_status()

    assert (caught.value.reason, caught.value.retry_after, sleeps) == (
        SdkStatusFailureReason.SERVER_ERROR,
        30.0,
        [],
    )


def test_a_429_without_retry_after_that_outlasts_the_backoff_is_rate_limited(
    user_sdk, network, sleeps
):
    user_sdk.submit_payload("trip", {"n": 1})
    network.faults = ["http_429"] * 5

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert (caught.value.reason, caught.value.retry_after, sleeps) == (
        PayloadUploadFailureReason.RATE_LIMITED,
        None,
        [1.0, 2.0, 4.0, 8.0],
    )


@pytest.mark.parametrize(
    ("call", "error", "reason"),
    [
        ("request_user_access_token", UserAccessTokenError, "RATE_LIMITED"),
        ("sdk_status", SdkStatusError, "RATE_LIMITED"),
    ],
)
def test_every_call_names_a_429_it_could_not_wait_out_rate_limited(
    user_sdk, network, clock, call, error, reason
):
    clock.advance(hours=2)  # the token needs a refresh: every call reaches the platform
    network.faults = [later("120")]

    with pytest.raises(error) as caught:
        getattr(user_sdk, call)()

    assert (caught.value.reason.value, caught.value.retry_after) == (reason, 120.0)


def test_create_user_and_initialize_name_a_429_rate_limited(sdk, platform, network):
    network.faults = [later("120")]
    with pytest.raises(UserCreationError) as creation:
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    network.faults = [later("90")]
    with pytest.raises(InitError) as init:
        sdk.initialize(
            LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=NO_OP_LINKER)
        )

    assert (creation.value.reason, creation.value.retry_after) == (
        UserCreationFailureReason.RATE_LIMITED,
        120.0,
    )
    assert (init.value.issue, init.value.retry_after) == (InitIssue.RATE_LIMITED, 90.0)


def test_an_upload_told_to_wait_past_the_timeout_does_not_back_off_either(
    user_sdk, network, sleeps
):
    user_sdk.submit_payload("trip", {"n": 1})
    network.faults = [later("60")]

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert (caught.value.reason, caught.value.report.remaining, sleeps) == (
        PayloadUploadFailureReason.RATE_LIMITED,
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
