from datetime import timedelta

import pytest

from userlink_sdk import UserAccessTokenError, UserAccessTokenFailureReason, UserCreationOptions


def test_request_user_access_token_returns_the_cached_token(user_sdk, platform):
    first = user_sdk.request_user_access_token()

    again = user_sdk.request_user_access_token()

    assert (again, platform.requests_to("POST", "token")) == (first, [])


def test_request_user_access_token_refreshes_an_expired_token(user_sdk, platform, clock):
    first = user_sdk.request_user_access_token()
    clock.advance(hours=2)

    token = user_sdk.request_user_access_token()

    assert token.token_id != first.token_id
    assert token.expiry_date == clock() + timedelta(hours=1)
    assert token.token_id in platform.access_tokens


def test_request_user_access_token_refreshes_within_60_seconds_of_expiry(user_sdk, platform, clock):
    first = user_sdk.request_user_access_token()
    clock.advance(minutes=59, seconds=1)

    token = user_sdk.request_user_access_token()

    assert token.token_id != first.token_id


def test_request_user_access_token_keeps_a_token_valid_for_more_than_60_seconds(
    user_sdk, platform, clock
):
    first = user_sdk.request_user_access_token()
    clock.advance(minutes=58)

    assert user_sdk.request_user_access_token() == first


def test_rotated_refresh_token_is_persisted(user_sdk, platform, clock, read_state):
    clock.advance(hours=2)

    user_sdk.request_user_access_token()

    assert read_state()["refresh_token"] in platform.refresh_tokens


def test_a_new_object_on_the_same_dir_uses_the_rotated_refresh_token(user_sdk, make_sdk, clock):
    clock.advance(hours=2)
    user_sdk.request_user_access_token()
    clock.advance(hours=2)

    token = make_sdk().request_user_access_token()

    assert token.is_expired(clock()) is False


def test_request_user_access_token_without_user_fails_with_no_user(sdk):
    with pytest.raises(UserAccessTokenError) as caught:
        sdk.request_user_access_token()

    assert caught.value.reason is UserAccessTokenFailureReason.NO_USER


def test_expired_token_without_network_fails_with_network_error(user_sdk, network, clock):
    clock.advance(hours=2)
    network.down = True

    with pytest.raises(UserAccessTokenError) as caught:
        user_sdk.request_user_access_token()

    assert caught.value.reason is UserAccessTokenFailureReason.NETWORK_ERROR


def test_cached_token_is_returned_without_network(user_sdk, network):
    first = user_sdk.request_user_access_token()
    network.down = True

    assert user_sdk.request_user_access_token() == first


def test_token_of_a_remotely_deregistered_install_fails_with_user_disabled_remotely(
    user_sdk, platform, clock
):
    (install,) = platform.installs.values()
    platform.deregister(install.install_id)
    clock.advance(hours=2)

    with pytest.raises(UserAccessTokenError) as caught:
        user_sdk.request_user_access_token()

    assert (caught.value.reason, caught.value.error_code) == (
        UserAccessTokenFailureReason.USER_DISABLED_REMOTELY,
        "INSTALL_DEREGISTERED",
    )


def test_token_is_expired_after_its_expiry_date(user_sdk, clock):
    token = user_sdk.request_user_access_token()

    assert (token.is_expired(clock()), token.is_expired(token.expiry_date)) == (False, True)


def test_token_repr_hides_the_token(user_sdk):
    token = user_sdk.request_user_access_token()

    assert token.token_id not in repr(token)


def test_user_info_token_is_the_access_token(sdk, platform):
    result = sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert sdk.request_user_access_token() == result.user_info.token
