"""A failure the server answered carries the server's reference of the request
(`error.request_ref`), to quote to the platform's operators."""

import httpx
import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    DeviceStateError,
    InitError,
    LegacyConfig,
    PayloadUploadError,
    SdkStatusError,
    UserAccessTokenError,
    UserCreationError,
    UserCreationOptions,
    UserLinkingError,
)


def refused(status=409, code="SOME_ERROR", *, ref=None, headers=None):
    """An error answer, sent without processing the request."""
    body = {"message": "refused", "errorCode": code}
    if ref is not None:
        body["ref"] = ref
    return httpx.Response(status, headers=headers, json=body)


def test_a_failure_carries_the_ref_of_the_error_body(make_sdk):
    sdk = make_sdk(handler=lambda request: refused(401, "AUTH_CODE_INVALID", ref="req-123"))

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="some-code"))

    assert caught.value.request_ref == "req-123"


def test_without_a_ref_in_the_body_the_x_request_id_header_names_the_request(make_sdk):
    def proxy(request):
        return httpx.Response(502, headers={"X-Request-ID": "proxy-9"}, text="bad gateway")

    sdk = make_sdk(handler=proxy)

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="some-code"))

    assert caught.value.request_ref == "proxy-9"


def test_without_a_ref_in_the_body_the_platforms_x_request_ref_header_names_the_request(make_sdk):
    sdk = make_sdk(handler=lambda request: refused(headers={"X-Request-Ref": "platform-7"}))

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="some-code"))

    assert caught.value.request_ref == "platform-7"


def test_the_ref_of_the_body_wins_over_the_header(make_sdk):
    sdk = make_sdk(handler=lambda r: refused(ref="body-1", headers={"X-Request-ID": "header-1"}))

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="some-code"))

    assert caught.value.request_ref == "body-1"


def test_a_failure_without_an_answer_has_no_request_ref(sdk, platform, network):
    network.down = True

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))

    assert caught.value.request_ref is None


def test_legacy_init_failures_carry_the_request_ref(sdk, platform, network):
    network.faults = [refused(403, "APP_DISABLED", ref="req-init")]

    with pytest.raises(InitError) as caught:
        sdk.initialize(LegacyConfig(app_id="app-1", secret="s", linker=NO_OP_LINKER))

    assert caught.value.request_ref == "req-init"


def test_legacy_create_user_failures_carry_the_request_ref(sdk, platform, network):
    network.faults = [refused(401, "INVALID_APP_CREDENTIALS", ref="req-legacy")]

    with pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(app_id="app-1", secret="s", linker=NO_OP_LINKER))

    assert caught.value.request_ref == "req-legacy"


def test_link_user_failures_carry_the_request_ref(sdk, platform, network):
    sdk.create_user(UserCreationOptions(app_id="app-1", secret="app-secret-1", linker=NO_OP_LINKER))
    network.faults = [refused(409, "AUTH_CODE_ALREADY_USED", ref="req-link")]

    with pytest.raises(UserLinkingError) as caught:
        sdk.link_user(platform.issue_code("alice"))

    assert caught.value.request_ref == "req-link"


def test_access_token_failures_carry_the_request_ref(user_sdk, network, clock):
    clock.advance(hours=2)
    network.faults = [refused(401, "REFRESH_TOKEN_INVALID", ref="req-token")]

    with pytest.raises(UserAccessTokenError) as caught:
        user_sdk.request_user_access_token()

    assert caught.value.request_ref == "req-token"


def test_status_failures_carry_the_request_ref(user_sdk, network):
    network.faults = [refused(500, "INTERNAL_ERROR", ref="req-status")]

    with pytest.raises(SdkStatusError) as caught:
        user_sdk.sdk_status()

    assert caught.value.request_ref == "req-status"


def test_upload_failures_carry_the_request_ref(user_sdk, network):
    user_sdk.submit_payload("trip", {"n": 1})
    network.faults = [refused(401, "INSTALL_DEREGISTERED", ref="req-upload")]

    with pytest.raises(PayloadUploadError) as caught:
        user_sdk.upload_payloads()

    assert caught.value.request_ref == "req-upload"


def test_errors_the_server_had_no_part_in_have_no_request_ref(tmp_path):
    assert DeviceStateError(tmp_path / "device_state.json", "corrupt").request_ref is None
