import threading

import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    LegacyConfig,
    UserCreationOptions,
    UserLinkerAsync,
    UserLinkingError,
    UserLinkingFailureReason,
)


@pytest.fixture
def unlinked_sdk(sdk, platform):
    sdk.initialize(
        LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=NO_OP_LINKER)
    )
    return sdk


def test_link_user_with_auth_code_links_the_no_op_user(unlinked_sdk, platform):
    user_id = unlinked_sdk.user_id

    result = unlinked_sdk.link_user(auth_code=platform.issue_code("alice"))

    assert (unlinked_sdk.is_user_linked(), result.user_info.user_id) == (True, user_id)
    assert platform.users[user_id].external_id == "alice"


def test_link_user_with_linker_links_the_no_op_user(unlinked_sdk, platform):
    def linker(install_id, callback):
        def backend():
            platform.link_install(install_id, "alice")
            callback.link_success()

        threading.Thread(target=backend).start()

    unlinked_sdk.link_user(linker=UserLinkerAsync(linker))

    assert unlinked_sdk.is_user_linked() is True


def test_link_user_result_carries_a_valid_token(unlinked_sdk, platform, clock):
    result = unlinked_sdk.link_user(auth_code=platform.issue_code("alice"))

    assert result.user_info.token.is_expired(clock()) is False


def test_link_user_is_remembered_by_a_new_object(unlinked_sdk, platform, make_sdk):
    unlinked_sdk.link_user(auth_code=platform.issue_code("alice"))

    assert make_sdk().is_user_linked() is True


def test_link_user_to_a_known_external_id_fails_with_external_id_already_linked(
    unlinked_sdk, platform, make_sdk, tmp_path
):
    make_sdk(state_dir=tmp_path / "other").create_user(
        UserCreationOptions(auth_code=platform.issue_code("alice"))
    )

    with pytest.raises(UserLinkingError) as caught:
        unlinked_sdk.link_user(auth_code=platform.issue_code("alice"))

    assert caught.value.reason is UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED
    assert "reset() and create_user()" in caught.value.details


def test_link_user_when_linked_fails_with_user_already_linked(user_sdk, platform):
    with pytest.raises(UserLinkingError) as caught:
        user_sdk.link_user(auth_code=platform.issue_code("bob"))

    assert caught.value.reason is UserLinkingFailureReason.USER_ALREADY_LINKED


def test_link_user_without_user_fails_with_no_user(sdk, platform):
    with pytest.raises(UserLinkingError) as caught:
        sdk.link_user(auth_code=platform.issue_code("alice"))

    assert caught.value.reason is UserLinkingFailureReason.NO_USER


def test_link_user_with_failing_linker_fails_with_app_side_linking_failed(unlinked_sdk):
    with pytest.raises(UserLinkingError) as caught:
        unlinked_sdk.link_user(linker=lambda install_id: False)

    assert caught.value.reason is UserLinkingFailureReason.APP_SIDE_LINKING_FAILED


def test_link_user_with_unknown_code_fails_with_invalid_auth_code(unlinked_sdk):
    with pytest.raises(UserLinkingError) as caught:
        unlinked_sdk.link_user(auth_code="no-such-code")

    assert caught.value.reason is UserLinkingFailureReason.INVALID_AUTH_CODE


def test_link_user_without_network_fails_with_network_error(unlinked_sdk, platform, network):
    code = platform.issue_code("alice")
    network.down = True

    with pytest.raises(UserLinkingError) as caught:
        unlinked_sdk.link_user(auth_code=code)

    assert caught.value.reason is UserLinkingFailureReason.NETWORK_ERROR


def test_link_user_of_deregistered_install_fails_with_user_disabled_remotely(
    unlinked_sdk, platform
):
    platform.deregister(next(iter(platform.installs)))

    with pytest.raises(UserLinkingError) as caught:
        unlinked_sdk.link_user(auth_code=platform.issue_code("alice"))

    assert caught.value.reason is UserLinkingFailureReason.USER_DISABLED_REMOTELY


def test_link_user_needs_exactly_one_of_code_and_linker(unlinked_sdk):
    with pytest.raises(ValueError, match="auth_code or a linker"):
        unlinked_sdk.link_user()


def test_link_user_refuses_the_no_op_linker(unlinked_sdk):
    with pytest.raises(ValueError, match="NO_OP_LINKER"):
        unlinked_sdk.link_user(linker=NO_OP_LINKER)
