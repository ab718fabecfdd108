import dataclasses
import json
import os
import stat

import pytest

from userlink_sdk import DeviceStateError, UserCreationOptions
from userlink_sdk._state import _FIELD_KINDS, DeviceState, StateStore


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_state_dir_is_created_with_mode_0700(user_sdk, state_dir):
    assert mode(state_dir) == 0o700


def test_state_file_has_mode_0600(user_sdk, state_dir):
    assert mode(state_dir / "device_state.json") == 0o600


def test_state_file_keeps_mode_0600_after_rewrites(user_sdk, state_dir, clock):
    clock.advance(hours=2)
    user_sdk.request_user_access_token()

    assert mode(state_dir / "device_state.json") == 0o600


def test_state_holds_what_the_device_needs(user_sdk, platform, read_state):
    state = read_state()
    (install,) = platform.installs.values()

    assert state["version"] == 1
    assert (state["user_id"], state["install_id"], state["is_linked"]) == (
        install.user_id,
        install.install_id,
        True,
    )
    assert state["refresh_token"] in platform.refresh_tokens
    assert state["configuration"]["upload"]["max_batch_size"] == 100


def test_failed_state_write_keeps_the_previous_file(state_dir, monkeypatch):
    store = StateStore(state_dir)
    store.save(DeviceState(user_id="before"))

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        store.save(DeviceState(user_id="after"))

    assert store.load() == DeviceState(user_id="before")


def test_failed_state_write_leaves_no_temporary_file(state_dir, monkeypatch):
    store = StateStore(state_dir)
    store.save(DeviceState(user_id="before"))

    def broken_replace(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="Input/output"):
        store.save(DeviceState(user_id="after"))

    assert [p.name for p in state_dir.iterdir()] == ["device_state.json"]


def test_refreshed_token_is_kept_in_memory_when_the_state_cannot_be_written(
    user_sdk, platform, clock, monkeypatch
):
    clock.advance(hours=2)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    token = user_sdk.request_user_access_token()

    assert token.token_id in platform.access_tokens


def test_refreshed_token_is_saved_by_the_next_successful_write(
    user_sdk, platform, clock, monkeypatch, read_state
):
    clock.advance(hours=2)
    real_replace = os.replace

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    token = user_sdk.request_user_access_token()
    monkeypatch.setattr(os, "replace", real_replace)
    user_sdk.sdk_status()

    assert read_state()["access_token"] == token.token_id


def test_user_survives_a_new_object_on_the_same_dir(user_sdk, make_sdk):
    reopened = make_sdk()

    assert (reopened.user_exists(), reopened.user_id) == (True, user_sdk.user_id)


def test_corrupt_state_file_raises_device_state_error_naming_the_file(make_sdk, state_dir):
    state_dir.mkdir(mode=0o700)
    (state_dir / "device_state.json").write_text("{not json")

    with pytest.raises(DeviceStateError) as caught:
        make_sdk().initialize()

    assert caught.value.path == str(state_dir / "device_state.json")
    assert str(state_dir / "device_state.json") in str(caught.value)


def test_state_file_with_wrong_field_type_raises_device_state_error(make_sdk, state_dir):
    state_dir.mkdir(mode=0o700)
    (state_dir / "device_state.json").write_text(json.dumps({"version": 1, "user_id": 42}))

    with pytest.raises(DeviceStateError, match="user_id"):
        make_sdk().user_exists()


def test_state_file_of_another_version_raises_device_state_error(make_sdk, state_dir):
    state_dir.mkdir(mode=0o700)
    (state_dir / "device_state.json").write_text(json.dumps({"version": 2, "user_id": "u"}))

    with pytest.raises(DeviceStateError, match="version 2"):
        make_sdk().initialize()


def test_corrupt_state_file_is_never_overwritten(make_sdk, state_dir, platform):
    state_dir.mkdir(mode=0o700)
    (state_dir / "device_state.json").write_text("{not json")

    with pytest.raises(DeviceStateError):
        make_sdk().create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert (state_dir / "device_state.json").read_text() == "{not json"


def test_state_round_trips_through_json(user_sdk, state_dir):
    path = state_dir / "device_state.json"
    loaded = DeviceState.from_json(path, json.loads(path.read_text()))

    assert DeviceState.from_json(path, json.loads(json.dumps(loaded.to_json()))) == loaded


def test_every_state_field_has_a_checked_kind():
    assert sorted(_FIELD_KINDS) == sorted(f.name for f in dataclasses.fields(DeviceState))
