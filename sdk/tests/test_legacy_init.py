import base64
import hashlib
import json
import threading

import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    InitError,
    InitIssue,
    InitState,
    LegacyConfig,
    UserLinker,
    UserLinkerAsync,
)


def legacy(platform, linker, **kwargs):
    return LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=linker, **kwargs)


def linking_to(platform, external_id):
    """A plain linker standing in for the app asking its backend to link the install."""

    def link(install_id):
        platform.link_install(install_id, external_id)
        return True

    return link


def test_initialize_without_config_loads_state_without_network(sdk, platform):
    sdk.initialize()

    assert (sdk.init_state, platform.requests) == (InitState.INITIALIZED, [])


def test_legacy_init_with_plain_linker_links_the_user(sdk, platform):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    (user,) = platform.users.values()
    assert (sdk.is_user_linked(), sdk.user_id, user.external_id) == (True, user.user_id, "alice")


def test_legacy_init_accepts_an_explicit_user_linker(sdk, platform):
    sdk.initialize(legacy(platform, UserLinker(linking_to(platform, "alice"))))

    assert sdk.is_user_linked() is True


def test_legacy_init_registers_the_install_with_http_basic_app_credentials(sdk, platform):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    (request,) = platform.requests_to("POST", "installs")
    expected = base64.b64encode(f"{platform.app_id}:{platform.app_secret}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_linker_receives_the_install_id(sdk, platform):
    seen = []

    def linker(install_id):
        seen.append(install_id)
        return linking_to(platform, "alice")(install_id)

    sdk.initialize(legacy(platform, linker))

    assert seen == list(platform.installs)


def test_legacy_init_with_callback_linker_answered_from_another_thread(sdk, platform):
    def linker(install_id, callback):
        def backend():
            platform.link_install(install_id, "alice")
            callback.link_success()

        threading.Thread(target=backend).start()

    sdk.initialize(legacy(platform, UserLinkerAsync(linker)))

    assert (sdk.init_state, sdk.is_user_linked()) == (InitState.INITIALIZED, True)


def test_callback_linker_calling_link_failed_raises_link_failed(sdk, platform):
    with pytest.raises(InitError) as caught:
        sdk.initialize(
            legacy(platform, UserLinkerAsync(lambda install_id, callback: callback.link_failed()))
        )

    assert caught.value.issue is InitIssue.LINK_FAILED


def test_plain_linker_returning_false_raises_link_failed(sdk, platform):
    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, lambda install_id: False))

    assert caught.value.issue is InitIssue.LINK_FAILED


def test_linker_raising_an_exception_raises_link_failed(sdk, platform):
    def linker(install_id):
        raise RuntimeError("backend down")

    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, linker))

    assert (caught.value.issue, "backend down" in caught.value.details) == (
        InitIssue.LINK_FAILED,
        True,
    )


def test_linker_that_never_answers_times_out_with_link_failed(sdk, platform):
    with pytest.raises(InitError) as caught:
        sdk.initialize(
            legacy(
                platform, UserLinkerAsync(lambda install_id, callback: None), linker_timeout=0.05
            )
        )

    assert (caught.value.issue, "did not answer within 0.05 s" in caught.value.details) == (
        InitIssue.LINK_FAILED,
        True,
    )


def test_linker_success_without_backend_link_raises_link_failed(sdk, platform):
    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, lambda install_id: True))

    assert (caught.value.issue, caught.value.error_code) == (
        InitIssue.LINK_FAILED,
        "INSTALL_NOT_LINKED",
    )


def test_link_failed_leaves_no_user(sdk, platform):
    with pytest.raises(InitError):
        sdk.initialize(legacy(platform, lambda install_id: False))

    assert (sdk.user_exists(), sdk.init_state) == (False, InitState.NOT_INITIALIZED)


def test_init_again_after_link_failed_calls_the_linker_again_and_succeeds(sdk, platform):
    with pytest.raises(InitError):
        sdk.initialize(legacy(platform, lambda install_id: False))

    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    assert sdk.is_user_linked() is True


def test_init_again_after_link_failed_reuses_the_same_install(sdk, platform):
    seen = []

    def failing(install_id):
        seen.append(install_id)
        return False

    def succeeding(install_id):
        seen.append(install_id)
        return linking_to(platform, "alice")(install_id)

    with pytest.raises(InitError):
        sdk.initialize(legacy(platform, failing))
    sdk.initialize(legacy(platform, succeeding))

    assert (len(set(seen)), len(platform.installs)) == (1, 1)


def test_legacy_init_with_linked_user_does_not_call_the_linker(sdk, platform, make_sdk):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))
    calls = []

    make_sdk().initialize(legacy(platform, lambda install_id: calls.append(install_id) or True))

    assert calls == []


def test_legacy_init_with_linked_user_needs_no_network(sdk, platform, make_sdk, network):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))
    network.down = True

    reopened = make_sdk()
    reopened.initialize(legacy(platform, linking_to(platform, "alice")))

    assert reopened.init_state is InitState.INITIALIZED


def test_install_joining_an_existing_user_takes_its_user_id(make_sdk, platform, tmp_path):
    first = make_sdk(state_dir=tmp_path / "phone-1")
    first.initialize(legacy(platform, linking_to(platform, "alice")))
    second = make_sdk(state_dir=tmp_path / "phone-2")

    second.initialize(legacy(platform, linking_to(platform, "alice")))

    assert second.user_id == first.user_id


def test_legacy_init_with_other_credentials_raises_changed_credentials(sdk, platform, make_sdk):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    with pytest.raises(InitError) as caught:
        make_sdk().initialize(
            LegacyConfig(app_id="app-2", secret="app-secret-2", linker=lambda install_id: True)
        )

    assert caught.value.issue is InitIssue.CHANGED_CREDENTIALS


def test_legacy_init_with_a_changed_secret_raises_changed_credentials(sdk, platform, make_sdk):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    with pytest.raises(InitError) as caught:
        make_sdk().initialize(
            LegacyConfig(app_id=platform.app_id, secret="rotated", linker=lambda install_id: True)
        )

    assert caught.value.issue is InitIssue.CHANGED_CREDENTIALS


def test_state_stores_a_credential_fingerprint_never_the_secret(
    sdk, platform, state_dir, read_state
):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    expected = hashlib.sha256(f"{platform.app_id}:{platform.app_secret}".encode()).hexdigest()
    assert read_state()["credential_fingerprint"] == expected
    assert platform.app_secret not in (state_dir / "device_state.json").read_text()


def test_legacy_init_with_wrong_secret_raises_invalid_credentials(sdk, platform):
    with pytest.raises(InitError) as caught:
        sdk.initialize(
            LegacyConfig(app_id=platform.app_id, secret="wrong", linker=lambda install_id: True)
        )

    assert (caught.value.issue, caught.value.error_code) == (
        InitIssue.INVALID_CREDENTIALS,
        "INVALID_APP_CREDENTIALS",
    )


def test_legacy_init_for_a_disabled_app_raises_remote_disabled(sdk, platform):
    platform.apps[platform.app_id]["disabled"] = True

    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    assert caught.value.issue is InitIssue.REMOTE_DISABLED


def test_legacy_init_when_unreachable_raises_service_unreachable(sdk, platform, network):
    network.down = True

    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    assert caught.value.issue is InitIssue.SERVICE_UNREACHABLE


def test_legacy_init_on_unexpected_server_failure_raises_initialization_error(
    sdk, platform, network
):
    network.faults = ["http_500"]

    with pytest.raises(InitError) as caught:
        sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    assert caught.value.issue is InitIssue.INITIALIZATION_ERROR


def test_legacy_registration_sends_the_installation_nonce(sdk, platform, read_state):
    sdk.initialize(legacy(platform, linking_to(platform, "alice")))

    body = json.loads(platform.requests_to("POST", "installs")[0].content)
    assert body["installation_nonce"] == read_state()["installation_nonce"]


# -- NO_OP_LINKER ------------------------------------------------------------------------------


def test_no_op_linker_creates_an_unlinked_user(sdk, platform):
    sdk.initialize(legacy(platform, NO_OP_LINKER))

    assert (sdk.init_state, sdk.user_exists(), sdk.is_user_linked()) == (
        InitState.INITIALIZED,
        True,
        False,
    )


def test_no_op_linker_confirms_with_established(sdk, platform):
    sdk.initialize(legacy(platform, NO_OP_LINKER))

    (request,) = platform.requests_to("POST", "link/confirm")
    assert json.loads(request.content) == {"established": True}


def test_no_op_user_init_again_needs_no_network(sdk, platform, make_sdk, network):
    sdk.initialize(legacy(platform, NO_OP_LINKER))
    network.down = True

    reopened = make_sdk()
    reopened.initialize(legacy(platform, NO_OP_LINKER))

    assert (reopened.user_exists(), reopened.is_user_linked()) == (True, False)


def test_no_op_user_is_linked_when_a_real_linker_arrives_later(sdk, platform, make_sdk):
    sdk.initialize(legacy(platform, NO_OP_LINKER))

    reopened = make_sdk()
    reopened.initialize(legacy(platform, linking_to(platform, "alice")))

    assert reopened.is_user_linked() is True
