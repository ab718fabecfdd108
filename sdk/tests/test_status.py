from datetime import UTC, datetime

import pytest

from userlink_sdk import SdkStatusError, SdkStatusFailureReason, UserCreationOptions


def test_sdk_status_reports_the_active_install(user_sdk, platform):
    status = user_sdk.sdk_status()

    (install,) = platform.installs.values()
    assert status.is_remote_enabled is True
    assert (status.user_exists, status.is_linked) == (True, True)
    assert (status.user_id, status.install_id, status.inactive_reason) == (
        install.user_id,
        install.install_id,
        None,
    )


def test_sdk_status_reports_the_inactive_reason(user_sdk, platform):
    (install,) = platform.installs.values()
    platform.deactivate(install.install_id, "PHONE_PREFERRED_OVER_TABLET")

    status = user_sdk.sdk_status()

    assert (status.is_remote_enabled, status.inactive_reason) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )


def test_restoring_on_a_new_device_makes_the_old_install_inactive(make_sdk, platform, tmp_path):
    old = make_sdk(state_dir=tmp_path / "old-phone")
    old.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    new = make_sdk(state_dir=tmp_path / "new-phone")
    new.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert (old.sdk_status().is_remote_enabled, new.sdk_status().is_remote_enabled) == (False, True)


def test_sdk_status_is_remembered_in_the_configuration(user_sdk, platform):
    (install,) = platform.installs.values()
    platform.deactivate(install.install_id)

    user_sdk.sdk_status()

    assert user_sdk.configuration.is_remote_enabled is False


def test_sdk_status_refreshes_and_retries_on_access_token_expired(user_sdk, platform, clock):
    (install,) = platform.installs.values()
    for token, (owner, _) in list(platform.access_tokens.items()):
        platform.access_tokens[token] = (owner, clock())  # expired early on the server side

    status = user_sdk.sdk_status()

    assert status.install_id == install.install_id
    assert len(platform.requests_to("POST", "token")) == 1
    assert len(platform.requests_to("GET", "status")) == 2


def test_sdk_status_without_user_answers_locally(sdk, platform):
    status = sdk.sdk_status()

    assert (status.user_exists, status.is_remote_enabled, status.user_id) == (False, False, None)
    assert platform.requests == []


def test_sdk_status_without_network_fails_with_network_error(user_sdk, network):
    network.down = True

    with pytest.raises(SdkStatusError) as caught:
        user_sdk.sdk_status()

    assert caught.value.reason is SdkStatusFailureReason.NETWORK_ERROR


def test_sdk_status_of_a_deregistered_install_fails_with_user_disabled_remotely(user_sdk, platform):
    (install,) = platform.installs.values()
    platform.deregister(install.install_id)

    with pytest.raises(SdkStatusError) as caught:
        user_sdk.sdk_status()

    assert caught.value.reason is SdkStatusFailureReason.USER_DISABLED_REMOTELY


def test_sdk_status_on_server_failure_fails_with_server_error(user_sdk, network):
    network.faults = ["http_500"]

    with pytest.raises(SdkStatusError) as caught:
        user_sdk.sdk_status()

    assert caught.value.reason is SdkStatusFailureReason.SERVER_ERROR


def test_sdk_status_of_a_displaced_install_says_why_and_since_when(user_sdk, platform):
    (install,) = platform.installs.values()
    platform.deactivate(install.install_id)
    install.displacement = {
        "new_install_id": "install-2",
        "reason": "newer_install",
        "displaced_at": "2026-11-21T10:00:00.000Z",
    }

    status = user_sdk.sdk_status()

    assert status.displacement is not None
    assert (
        status.displacement.install_id,
        status.displacement.new_install_id,
        status.displacement.reason,
    ) == (install.install_id, "install-2", "newer_install")
    assert status.inactive_since == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "displacement",
    [
        None,
        "yesterday",
        {"new_install_id": "install-2"},
        {"new_install_id": "install-2", "reason": "newer_install", "displaced_at": "not a time"},
    ],
)
def test_sdk_status_ignores_a_missing_or_unreadable_displacement(user_sdk, platform, displacement):
    (install,) = platform.installs.values()
    platform.deactivate(install.install_id)
    install.displacement = displacement

    status = user_sdk.sdk_status()

    assert (status.inactive_reason, status.displacement, status.inactive_since) == (
        "NEWER_INSTALL_ACTIVE",
        None,
        None,
    )
