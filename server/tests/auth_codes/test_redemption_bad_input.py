"""POST /sdk/v1/users with bodies a device should not send. A refused redemption stores no user
and no install, and leaves the code usable: the device can fix its request and try again.

Expired, unknown, used and other-app codes are covered in test_user_creation_flow.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from userlink.models import audit_events, installs, users
from userlink_testing.factories.apps import update_app
from userlink_testing.factories.devices import issue_code, redeem, redeem_body
from userlink_testing.factories.records import count_rows

ROUTE = "/sdk/v1/users"


def post_raw(api: httpx.Client, content: bytes) -> httpx.Response:
    return api.post(ROUTE, content=content, headers={"content-type": "application/json"})


def assert_nothing_stored_and_code_still_usable(api: httpx.Client, runtime, code: str) -> None:
    assert count_rows(runtime, users) == 0
    assert count_rows(runtime, installs) == 0
    assert count_rows(runtime, audit_events, event="auth_code.redeemed") == 0
    assert redeem(api, code)["restored"] is False


def without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    """The body without the field at `path` (a nested field when the path is longer)."""
    copy = json.loads(json.dumps(body))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return copy


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(("authentication_code",), id="authentication_code"),
        pytest.param(("installation_nonce",), id="installation_nonce"),
        pytest.param(("device",), id="device"),
        pytest.param(("device", "platform"), id="device.platform"),
    ],
)
def test_missing_field_is_a_validation_error_and_leaves_the_code_usable(api, tenant, runtime, path):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json=without(redeem_body(code), *path))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert response.json()["details"][0]["loc"] == ["body", *path]
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize(
    "nonce",
    [
        pytest.param("a" * 15, id="too-short"),
        pytest.param("a" * 129, id="too-long"),
        pytest.param("has spaces in it!!", id="spaces"),
        pytest.param("slashes/and+plus==", id="base64-not-url-safe"),
        pytest.param("ünïcödé-nonce-1234", id="non-ascii"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_installation_nonce_is_a_validation_error(api, tenant, runtime, nonce):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json={**redeem_body(code), "installation_nonce": nonce})

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize("platform_name", ["windows", "ANDROID", "", "iPhone"])
def test_unknown_platform_is_a_validation_error(api, tenant, runtime, platform_name):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        ROUTE, json=redeem_body(code, device={"platform": platform_name, "model": "x"})
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize(
    "diagonal",
    [
        pytest.param("-6.1", id="negative"),
        pytest.param("0", id="zero"),
        pytest.param("100", id="100-inches"),
        pytest.param("1e308", id="huge"),
        pytest.param("1e999", id="overflows-to-infinity"),
        pytest.param("1" + "0" * 400, id="400-digit-integer"),
        pytest.param("NaN", id="NaN"),
        pytest.param("-Infinity", id="minus-infinity"),
    ],
)
def test_impossible_screen_diagonal_is_a_validation_error(api, tenant, runtime, diagonal):
    code = issue_code(api, tenant.link_key, "alice")
    body = redeem_body(code, device={"platform": "android", "screen_diagonal_inches": 0.5})
    raw = json.dumps(body).replace("0.5", diagonal)

    response = post_raw(api, raw.encode())

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize("diagonal", [True, "6.1"], ids=["boolean", "string"])
def test_screen_diagonal_that_is_not_a_number_is_a_validation_error(api, tenant, runtime, diagonal):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        ROUTE,
        json=redeem_body(code, device={"platform": "android", "screen_diagonal_inches": diagonal}),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize("idiom", ["watch", "PAD", "tablet", ""])
def test_unknown_ios_idiom_is_a_validation_error(api, tenant, runtime, idiom):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        ROUTE, json=redeem_body(code, device={"platform": "ios", "ios_idiom": idiom})
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize("field", ["model", "os_version"])
@pytest.mark.parametrize("character", ["\x00", "\n", "\x7f"], ids=["NUL", "newline", "DEL"])
def test_device_text_with_a_control_character_is_a_validation_error(
    api, tenant, runtime, field, character
):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        ROUTE,
        json=redeem_body(code, device={"platform": "android", field: f"Pixel{character}8"}),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


def test_device_text_over_128_characters_is_a_validation_error(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        ROUTE, json=redeem_body(code, device={"platform": "android", "model": "x" * 129})
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize(
    "code_value",
    [
        pytest.param(12345, id="number"),
        pytest.param(None, id="null"),
        pytest.param("", id="empty"),
        pytest.param("f" * 257, id="257-characters"),
        pytest.param("\ud800", id="lone-surrogate"),
    ],
)
def test_malformed_authentication_code_is_a_validation_error(api, tenant, runtime, code_value):
    response = post_raw(api, json.dumps(redeem_body(code_value)).encode("ascii"))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, users) == 0


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"external_id": "mallory"}, id="top-level"),
        pytest.param({"device": {"platform": "android", "rooted": True}}, id="in-device"),
    ],
)
def test_unknown_field_is_a_validation_error(api, tenant, runtime, extra):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json={**redeem_body(code), **extra})

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


def test_malformed_json_is_invalid_json_and_leaves_the_code_usable(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")

    response = post_raw(api, json.dumps(redeem_body(code)).encode()[:-1])

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


def test_form_body_is_an_unsupported_media_type(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, data={"authentication_code": code})

    assert response.status_code == 415
    assert response.json()["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


@pytest.mark.parametrize(
    "app_id",
    [
        pytest.param("not-a-uuid", id="not-a-uuid"),
        pytest.param("", id="empty"),
        pytest.param(str(uuid.uuid4()), id="unknown-app"),
    ],
)
def test_app_id_that_is_not_the_codes_app_is_refused_and_leaves_the_code_usable(
    api, tenant, runtime, app_id
):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json=redeem_body(code, app_id=app_id))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "AUTH_CODE_APP_MISMATCH"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


def test_app_id_that_is_not_a_string_is_a_validation_error(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json=redeem_body(code, app_id=42))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert_nothing_stored_and_code_still_usable(api, runtime, code)


def test_redemption_for_a_disabled_app_is_refused_and_creates_no_user(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")
    update_app(runtime, tenant.app_id, is_remote_enabled=False)

    response = api.post(ROUTE, json=redeem_body(code))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "APP_DISABLED"
    assert count_rows(runtime, users) == 0
    assert count_rows(runtime, installs) == 0


def test_code_refused_while_the_app_was_disabled_works_once_it_is_enabled(api, tenant, runtime):
    code = issue_code(api, tenant.link_key, "alice")
    update_app(runtime, tenant.app_id, is_remote_enabled=False)
    api.post(ROUTE, json=redeem_body(code))

    update_app(runtime, tenant.app_id, is_remote_enabled=True)

    assert redeem(api, code)["restored"] is False


def test_refused_redemption_of_a_known_user_adds_no_install(api, tenant, runtime):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"))
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(ROUTE, json=redeem_body(code, nonce="short"))

    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, installs) == 1
    assert redeem(api, code)["user_id"] == first["user_id"]
