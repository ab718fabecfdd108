import threading
from datetime import UTC, datetime

import pytest

from userlink_sdk import (
    InitState,
    LegacyConfig,
    ResetError,
    ResetFailureReason,
    UserCreationOptions,
    UserLinkerAsync,
)


def test_reset_deregisters_the_install_on_the_server(user_sdk, platform):
    result = user_sdk.reset()

    (install,) = platform.installs.values()
    assert (result.deregistered_on_server, install.deregistered) == (True, True)


def test_reset_removes_the_user_from_the_device(user_sdk):
    user_sdk.reset()

    assert (user_sdk.user_exists(), user_sdk.user_id) == (False, None)


def test_reset_deletes_the_state_file_and_the_queue(user_sdk, state_dir):
    user_sdk.submit_payload("trip", {"km": 3})

    user_sdk.reset()

    assert list(state_dir.iterdir()) == []


def test_reset_when_unreachable_still_clears_state_and_queue(user_sdk, network, state_dir):
    user_sdk.submit_payload("trip", {"km": 3})
    network.down = True

    result = user_sdk.reset()

    assert (result.deregistered_on_server, list(state_dir.iterdir())) == (False, [])
    assert "could not be reached" in result.details


def test_reset_of_an_already_deregistered_install_clears_state(user_sdk, platform, state_dir):
    (install,) = platform.installs.values()
    platform.deregister(install.install_id)

    result = user_sdk.reset()

    assert (result.deregistered_on_server, list(state_dir.iterdir())) == (False, [])
    assert "already considers the install deregistered" in result.details


def test_reset_without_a_user_succeeds_without_network(sdk, platform):
    result = sdk.reset()

    assert (result.deregistered_on_server, result.init_state, platform.requests) == (
        False,
        InitState.NOT_INITIALIZED,
        [],
    )


def test_reset_deletes_a_corrupt_state_file(make_sdk, state_dir):
    state_dir.mkdir(mode=0o700)
    (state_dir / "device_state.json").write_text("{not json")

    result = make_sdk().reset()

    assert (result.deregistered_on_server, list(state_dir.iterdir())) == (False, [])


def test_create_user_after_reset_makes_a_new_install(user_sdk, platform):
    user_sdk.reset()

    user_sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert len(platform.installs) == 2


def test_reset_during_reset_fails_with_sdk_reset_in_progress(resetting_sdk):
    with pytest.raises(ResetError) as caught:
        resetting_sdk.reset()

    assert caught.value.reason is ResetFailureReason.SDK_RESET_IN_PROGRESS


def test_reset_during_init_fails_with_sdk_init_in_progress(sdk, platform):
    linker_called, callbacks = threading.Event(), []

    def linker(install_id, callback):
        callbacks.append(callback)
        linker_called.set()

    config = LegacyConfig(
        app_id=platform.app_id, secret=platform.app_secret, linker=UserLinkerAsync(linker)
    )
    outcomes = []

    def initialize():
        try:
            sdk.initialize(config)
        except Exception as exc:
            outcomes.append(exc)

    init = threading.Thread(target=initialize)
    init.start()
    linker_called.wait(5)
    try:
        with pytest.raises(ResetError) as caught:
            sdk.reset()
    finally:
        callbacks[0].link_failed()
        init.join(5)

    assert caught.value.reason is ResetFailureReason.SDK_INIT_IN_PROGRESS


def test_reset_when_state_cannot_be_deleted_fails_with_exception_or_error(user_sdk, monkeypatch):
    def broken_unlink(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pathlib.Path.unlink", broken_unlink)

    with pytest.raises(ResetError) as caught:
        user_sdk.reset()

    assert caught.value.reason is ResetFailureReason.EXCEPTION_OR_ERROR


def test_reset_result_reports_not_initialized(user_sdk):
    user_sdk.initialize()

    assert (user_sdk.reset().init_state, user_sdk.init_state) == (
        InitState.NOT_INITIALIZED,
        InitState.NOT_INITIALIZED,
    )


def test_reset_refreshes_an_expired_token_to_deregister(user_sdk, platform, clock):
    clock.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

    result = user_sdk.reset()

    assert result.deregistered_on_server is True
