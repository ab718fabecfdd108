"""The backend library against the live platform (SQLite and PostgreSQL), sync and async: every
server-to-server route, with a real device (the SDK) on the other side."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from userlink.models import auth_codes
from userlink_backend import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlatformClient,
    RateLimitError,
)
from userlink_sdk import (
    DeviceInfo,
    LegacyConfig,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
    UserLink,
)
from userlink_testing.factories.records import count_rows

PHONE = DeviceInfo(platform="android", os_version="14", model="Pixel 8", screen_diagonal_inches=6.2)


@pytest.fixture
def linker(make_client, live, tenant):
    return make_client(live.url, tenant.link_key)


@pytest.fixture
def reader(make_client, live, tenant):
    return make_client(live.url, tenant.read_key)


@pytest.fixture
def deleter(make_client, live, tenant):
    return make_client(live.url, tenant.delete_key)


@pytest.fixture
def device(tmp_path, live):
    with UserLink(tmp_path / "phone", device=PHONE, clock=live.clock.now) as sdk:
        yield sdk


def create_user(device, linker, live, external_id="alice"):
    code = linker.issue_auth_code(external_id)
    return device.create_user(UserCreationOptions(auth_code=code.code, platform_url=live.url))


def test_a_code_from_the_library_creates_the_user_the_library_then_reads(
    linker, reader, device, live
):
    code = linker.issue_auth_code("alice")
    result = device.create_user(UserCreationOptions(auth_code=code.code, platform_url=live.url))

    user = reader.get_user(result.user_info.user_id)

    assert (len(code.code), code.expires_at > datetime.now(UTC)) == (128, True)
    assert code.code not in repr(code)
    assert (user.id, user.external_id, user.linked_at is not None) == (
        device.user_id,
        "alice",
        True,
    )
    ((install,),) = [user.installs]
    assert (install.platform, install.device_class, install.model) == (
        "android",
        "phone",
        "Pixel 8",
    )
    assert (install.status, install.is_active, install.inactive_reason) == ("live", True, None)
    assert reader.get_user_by_external_id("alice") == user


def test_an_integer_external_id_is_the_same_user_as_its_decimal_string(
    linker, reader, device, live
):
    create_user(device, linker, live, external_id=12345)

    assert reader.get_user_by_external_id("12345").id == device.user_id


def test_the_legacy_link_joins_an_install_to_the_app_user(linker, reader, tmp_path, live, tenant):
    linked = []

    def link(install_id):
        linked.append(linker.link_install(install_id, "bob"))
        return True

    with UserLink(tmp_path / "legacy", device=PHONE) as sdk:
        sdk.initialize(
            LegacyConfig(
                app_id=str(tenant.app_id),
                secret=tenant.app_secret,
                linker=link,
                platform_url=live.url,
            )
        )
        user_id = sdk.user_id

    assert linked == [user_id]
    assert reader.get_user_by_external_id("bob").id == user_id


def test_the_timeline_is_iterated_across_pages_in_order(linker, reader, device, live):
    create_user(device, linker, live)
    ids = [device.submit_payload("trip", {"n": n}) for n in range(5)]
    device.upload_payloads()

    items = list(reader.iter_timeline(device.user_id, page_size=2))
    first = reader.timeline_page(device.user_id, limit=2)

    assert [item.id for item in items] == ids
    assert [item.body for item in items] == [{"n": n} for n in range(5)]
    assert (len(first.items), first.next_cursor is not None) == (2, True)


def test_an_empty_timeline_iterates_to_nothing(linker, reader, device, live):
    create_user(device, linker, live)

    assert list(reader.iter_timeline(device.user_id)) == []


def test_delete_erases_the_user_and_a_second_delete_is_not_found(
    linker, reader, deleter, device, live
):
    create_user(device, linker, live)

    deleter.delete_user(device.user_id)

    with pytest.raises(NotFoundError) as read_after:
        reader.get_user(device.user_id)
    with pytest.raises(NotFoundError) as deleted_again:
        deleter.delete_user(device.user_id)
    assert (read_after.value.error_code, read_after.value.status) == ("USER_NOT_FOUND", 404)
    assert deleted_again.value.ref


def test_an_unknown_external_id_is_not_found_with_the_platforms_ref(reader):
    with pytest.raises(NotFoundError) as caught:
        reader.get_user_by_external_id("nobody-here")

    error = caught.value
    assert (error.status, error.error_code) == (404, "USER_NOT_FOUND")
    assert error.ref
    assert error.ref in str(error)


def test_a_placeholder_external_id_is_an_invalid_request(linker):
    with pytest.raises(InvalidRequestError) as caught:
        linker.issue_auth_code("undefined")

    assert (caught.value.status, caught.value.error_code) == (422, "EXTERNAL_ID_BLOCKED")


def test_a_cursor_the_api_did_not_return_is_an_invalid_request(linker, reader, device, live):
    create_user(device, linker, live)

    with pytest.raises(InvalidRequestError) as caught:
        reader.timeline_page(device.user_id, cursor="not-a-cursor")

    assert caught.value.error_code == "INVALID_CURSOR"


def test_a_key_without_the_scope_is_permission_denied(make_client, live, tenant):
    reading_key = make_client(live.url, tenant.read_key)

    with pytest.raises(PermissionDeniedError) as caught:
        reading_key.issue_auth_code("alice")

    assert (caught.value.status, caught.value.error_code) == (403, "INSUFFICIENT_SCOPE")


def test_a_wrong_key_is_an_authentication_error_that_never_shows_the_key(
    make_client, live, tenant, caplog, sleeps
):
    wrong = tenant.link_key[:-4] + ("aaaa" if not tenant.link_key.endswith("aaaa") else "bbbb")
    client = make_client(live.url, wrong)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthenticationError) as caught:
        client.issue_auth_code("alice")

    error = caught.value
    assert (error.status, error.error_code, sleeps) == (401, "INVALID_API_KEY", [])
    shown = [str(error), repr(error), *map(str, error.args), repr(client)]
    shown += [record.getMessage() for record in caplog.records]
    assert [text for text in shown if wrong in text or tenant.link_key in text] == []


def test_a_real_429_past_the_longest_wait_fails_at_once_with_its_retry_after(
    limited_server, make_client, tenant, sleeps
):
    server = limited_server(rate_limit_credential_failures="2/minute")
    client = make_client(server.url, "ulk_not_a_real_key", max_retry_wait=5.0)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            client.issue_auth_code("alice")

    with pytest.raises(RateLimitError) as caught:
        client.issue_auth_code("alice")

    error = caught.value
    assert (error.status, error.error_code, sleeps) == (429, "RATE_LIMITED", [])
    assert error.retry_after is not None
    assert error.retry_after > 5.0
    assert error.ref


def test_a_lost_answer_retried_with_the_calls_idempotency_key_mints_one_code(live, tenant, runtime):
    """The platform honours the key the library sends: the retry of a write whose answer was
    lost gets the first answer back instead of a second code."""
    sent: list[httpx.Request] = []

    class LoseFirstAnswer(httpx.BaseTransport):
        def __init__(self) -> None:
            self._real = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            response = self._real.handle_request(request)
            if len(sent) == 1:
                response.read()
                raise httpx.ReadTimeout("the answer was lost", request=request)
            return response

    client = PlatformClient(
        live.url, tenant.link_key, transport=LoseFirstAnswer(), sleep=lambda _s: None
    )
    issued = client.issue_auth_code("alice")

    assert len(sent) == 2
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]
    assert count_rows(runtime, auth_codes) == 1
    assert issued.code


def test_a_code_bound_to_a_devices_challenge_works_on_that_device_only(
    linker, reader, live, tmp_path
):
    with UserLink(tmp_path / "phone", device=PHONE, clock=live.clock.now) as phone:
        challenge = phone.begin_user_creation()
        code = linker.issue_auth_code("alice", code_challenge=challenge)
        with (
            UserLink(tmp_path / "thief", device=PHONE, clock=live.clock.now) as thief,
            pytest.raises(UserCreationError) as stolen,
        ):
            thief.create_user(UserCreationOptions(auth_code=code.code, platform_url=live.url))
        assert stolen.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE
        # The stolen attempt burned the code: the device asks for a fresh one, bound again.
        code = linker.issue_auth_code("alice", code_challenge=phone.begin_user_creation())
        created = phone.create_user(UserCreationOptions(auth_code=code.code, platform_url=live.url))
        assert created.user_info.user_id == reader.get_user_by_external_id("alice").id
