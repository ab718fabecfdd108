import json
import threading
from datetime import timedelta

import httpx
import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    DeviceInfo,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
)


def test_create_user_with_auth_code_returns_user_info(sdk, platform, clock):
    result = sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    (user,) = platform.users.values()
    assert result.user_info.user_id == user.user_id
    assert result.user_info.token.token_id.startswith("ula_")
    assert result.user_info.token.expiry_date == clock() + timedelta(hours=1)
    assert result.restored is False


def test_create_user_makes_the_user_exist_and_linked(user_sdk, platform):
    (user,) = platform.users.values()
    assert (user_sdk.user_exists(), user_sdk.is_user_linked(), user_sdk.user_id) == (
        True,
        True,
        user.user_id,
    )


def test_no_user_before_creation(sdk):
    assert (sdk.user_exists(), sdk.is_user_linked(), sdk.user_id) == (False, False, None)


def test_create_user_sends_device_and_app_information(make_sdk, platform):
    device = DeviceInfo(
        platform="android", os_version="14", model="Pixel 8", screen_diagonal_inches=6.2
    )
    sdk = make_sdk(device=device, app_version="1.2.3")

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    body = json.loads(platform.requests_to("POST", "users")[0].content)
    assert body["device"] == {
        "platform": "android",
        "os_version": "14",
        "model": "Pixel 8",
        "screen_diagonal_inches": 6.2,
        "ios_idiom": None,
    }
    assert body["app"] == {"app_version": "1.2.3", "sdk_version": "0.1.0"}


def test_device_and_app_text_is_sent_printable_and_at_most_128_characters(make_sdk, platform):
    # The platform refuses (422) device text with control characters or over 128 characters;
    # these values come from the OS, so the SDK sends them as the platform accepts them.
    device = DeviceInfo(platform="android", os_version="14\n", model="Pixel\x00 8" + "x" * 200)
    sdk = make_sdk(device=device, app_version="\t1.2.3-" + "b" * 200)

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    body = json.loads(platform.requests_to("POST", "users")[0].content)
    assert body["device"]["os_version"] == "14"
    assert body["device"]["model"] == ("Pixel 8" + "x" * 200)[:128]
    assert body["app"]["app_version"] == ("1.2.3-" + "b" * 200)[:128]


def test_device_text_with_nothing_printable_is_sent_as_unknown(make_sdk, platform):
    sdk = make_sdk(device=DeviceInfo(platform="android", model="\x00\x01"), app_version="")

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    body = json.loads(platform.requests_to("POST", "users")[0].content)
    assert (body["device"]["model"], body["app"]["app_version"]) == (None, None)


@pytest.mark.parametrize("diagonal", [0, -6.2, 100, float("nan"), float("inf"), True])
def test_an_unusable_screen_diagonal_is_sent_as_unknown(make_sdk, platform, diagonal):
    sdk = make_sdk(device=DeviceInfo(platform="android", screen_diagonal_inches=diagonal))

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    body = json.loads(platform.requests_to("POST", "users")[0].content)
    assert body["device"]["screen_diagonal_inches"] is None


def test_a_whole_number_screen_diagonal_is_sent_as_a_number_of_inches(make_sdk, platform):
    sdk = make_sdk(device=DeviceInfo(platform="android", screen_diagonal_inches=11))

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    body = json.loads(platform.requests_to("POST", "users")[0].content)
    assert body["device"]["screen_diagonal_inches"] == 11.0


def test_create_user_remembers_platform_url_from_options(make_sdk, platform, state_dir, read_state):
    sdk = make_sdk(platform_url=None)

    sdk.create_user(
        UserCreationOptions(auth_code=platform.issue_code("alice"), platform_url=platform.url)
    )

    assert read_state()["platform_url"] == platform.url


def test_create_user_without_any_platform_url_is_refused(make_sdk, platform):
    sdk = make_sdk(platform_url=None)

    with pytest.raises(ValueError, match="platform_url"):
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))


def test_create_user_without_code_or_credentials_is_refused(sdk):
    with pytest.raises(ValueError, match="auth_code"):
        sdk.create_user(UserCreationOptions(app_id="app-1"))


def test_create_user_twice_fails_with_user_already_exists(user_sdk, platform):
    with pytest.raises(UserCreationError) as caught:
        user_sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("bob")))

    assert caught.value.reason is UserCreationFailureReason.USER_ALREADY_EXISTS


def test_create_user_with_same_external_id_on_new_device_restores_the_user(
    make_sdk, platform, tmp_path
):
    first = make_sdk(state_dir=tmp_path / "phone-1")
    second = make_sdk(state_dir=tmp_path / "phone-2")
    original = first.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    restored = second.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert (restored.user_info.user_id, restored.restored) == (original.user_info.user_id, True)


def test_create_user_with_unknown_code_fails_with_invalid_auth_code(sdk):
    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="no-such-code"))

    assert caught.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE


def test_create_user_with_code_of_other_app_fails_with_invalid_auth_code(sdk, platform):
    code = platform.issue_code("alice", app_id="app-2")

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=code, app_id="app-1"))

    assert caught.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE


def test_create_user_with_expired_code_fails_with_expired_auth_code(sdk, platform, clock):
    code = platform.issue_code("alice")
    clock.advance(minutes=11)

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=code))

    assert caught.value.reason is UserCreationFailureReason.EXPIRED_AUTH_CODE


def test_create_user_with_used_code_fails_with_auth_code_already_used(make_sdk, platform, tmp_path):
    code = platform.issue_code("alice")
    make_sdk(state_dir=tmp_path / "other-phone").create_user(UserCreationOptions(auth_code=code))

    with pytest.raises(UserCreationError) as caught:
        make_sdk().create_user(UserCreationOptions(auth_code=code))

    assert caught.value.reason is UserCreationFailureReason.AUTH_CODE_ALREADY_USED


def test_create_user_failure_details_carry_the_server_error_code_and_message(sdk):
    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="no-such-code"))

    assert caught.value.error_code == "AUTH_CODE_INVALID"
    assert caught.value.details == "AUTH_CODE_INVALID: unknown authentication code"


def test_create_user_for_disabled_app_fails_with_server_error(sdk, platform):
    platform.apps["app-1"]["disabled"] = True

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert (caught.value.reason, caught.value.error_code) == (
        UserCreationFailureReason.SERVER_ERROR,
        "APP_DISABLED",
    )


def test_create_user_when_network_is_down_fails_with_network_error(sdk, platform, network):
    code = platform.issue_code("alice")
    network.down = True

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=code))

    assert caught.value.reason is UserCreationFailureReason.NETWORK_ERROR


def test_create_user_on_persistent_server_failure_fails_with_server_error(sdk, platform, network):
    code = platform.issue_code("alice")
    network.faults = ["http_500"] * 4

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=code))

    assert caught.value.reason is UserCreationFailureReason.SERVER_ERROR


def test_create_user_on_unreadable_answer_fails_with_unexpected_error(make_sdk, platform):
    sdk = make_sdk(handler=lambda request: httpx.Response(200, text="<html>proxy</html>"))

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert caught.value.reason is UserCreationFailureReason.UNEXPECTED_ERROR


def test_create_user_while_another_creation_runs_fails_with_user_creation_in_progress(
    make_sdk, platform, network, holding
):
    entered, release = threading.Event(), threading.Event()
    sdk = make_sdk(handler=holding(network.handle, entered, release))
    first = threading.Thread(
        target=sdk.create_user,
        args=(UserCreationOptions(auth_code=platform.issue_code("alice")),),
    )
    first.start()
    entered.wait(5)
    try:
        with pytest.raises(UserCreationError) as caught:
            sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("bob")))
    finally:
        release.set()
        first.join(5)

    assert caught.value.reason is UserCreationFailureReason.USER_CREATION_IN_PROGRESS


def test_create_user_during_reset_fails_with_sdk_reset_in_progress(resetting_sdk, platform):
    with pytest.raises(UserCreationError) as caught:
        resetting_sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("bob")))

    assert caught.value.reason is UserCreationFailureReason.SDK_RESET_IN_PROGRESS


# -- the installation nonce and retries of a lost answer -------------------------------------


def test_installation_nonce_is_persisted_before_the_redemption_is_sent(
    make_sdk, platform, network, state_dir
):
    seen = []

    def spy(request):
        seen.append(json.loads((state_dir / "device_state.json").read_text())["installation_nonce"])
        return network.handle(request)

    make_sdk(handler=spy).create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    sent = json.loads(platform.requests_to("POST", "users")[0].content)["installation_nonce"]
    assert seen == [sent]


def test_lost_answer_is_retried_with_the_same_nonce_and_succeeds(sdk, platform, network):
    network.faults = ["drop_answer"]

    result = sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    nonces = {
        json.loads(r.content)["installation_nonce"] for r in platform.requests_to("POST", "users")
    }
    (install,) = platform.installs.values()
    assert (len(platform.requests_to("POST", "users")), len(nonces)) == (2, 1)
    assert result.user_info.user_id == install.user_id


def test_retries_back_off_exponentially_through_the_injected_sleep(sdk, platform, network, sleeps):
    network.faults = ["refuse", "refuse", "drop_answer"]

    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert sleeps == [0.5, 1.0, 2.0]


def test_create_user_again_after_exhausted_retries_succeeds_with_same_code(sdk, platform, network):
    code = platform.issue_code("alice")
    network.faults = ["drop_answer", "refuse", "refuse", "refuse"]
    with pytest.raises(UserCreationError):
        sdk.create_user(UserCreationOptions(auth_code=code))

    result = sdk.create_user(UserCreationOptions(auth_code=code))

    (install,) = platform.installs.values()
    assert result.user_info.user_id == install.user_id


def test_exhausted_retries_fail_with_network_error(sdk, platform, network):
    network.faults = ["drop_answer", "refuse", "refuse", "refuse"]

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert caught.value.reason is UserCreationFailureReason.NETWORK_ERROR


def test_nonce_is_kept_after_user_creation(user_sdk, platform, read_state):
    sent = json.loads(platform.requests_to("POST", "users")[0].content)["installation_nonce"]

    assert read_state()["installation_nonce"] == sent


def test_reset_forgets_the_nonce(user_sdk, platform):
    first = json.loads(platform.requests_to("POST", "users")[0].content)["installation_nonce"]
    user_sdk.reset()

    user_sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    second = json.loads(platform.requests_to("POST", "users")[1].content)["installation_nonce"]
    assert second != first


# -- the legacy options (app credentials and a linker) ---------------------------------------


def test_create_user_with_app_credentials_and_linker_creates_linked_user(sdk, platform):
    def linker(install_id):
        platform.link_install(install_id, "alice")
        return True

    result = sdk.create_user(
        UserCreationOptions(app_id=platform.app_id, secret=platform.app_secret, linker=linker)
    )

    assert (sdk.is_user_linked(), result.user_info.user_id) == (True, sdk.user_id)


def test_create_user_with_failing_linker_fails_with_app_side_linking_failed(sdk, platform):
    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(
            UserCreationOptions(
                app_id=platform.app_id, secret=platform.app_secret, linker=lambda install_id: False
            )
        )

    assert caught.value.reason is UserCreationFailureReason.APP_SIDE_LINKING_FAILED


def test_create_user_with_failing_linker_leaves_no_user(sdk, platform):
    with pytest.raises(UserCreationError):
        sdk.create_user(
            UserCreationOptions(
                app_id=platform.app_id, secret=platform.app_secret, linker=lambda install_id: False
            )
        )

    assert sdk.user_exists() is False


def test_create_user_with_no_op_linker_creates_unlinked_user(sdk, platform):
    sdk.create_user(
        UserCreationOptions(app_id=platform.app_id, secret=platform.app_secret, linker=NO_OP_LINKER)
    )

    assert (sdk.user_exists(), sdk.is_user_linked()) == (True, False)


def test_create_user_with_wrong_app_secret_fails_with_server_error(sdk, platform):
    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(
            UserCreationOptions(app_id=platform.app_id, secret="wrong", linker=NO_OP_LINKER)
        )

    assert (caught.value.reason, caught.value.error_code) == (
        UserCreationFailureReason.SERVER_ERROR,
        "INVALID_APP_CREDENTIALS",
    )
