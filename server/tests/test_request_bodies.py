"""JSON bodies are read strictly on every route that takes one: UTF-8 only, as documented, and an
object that repeats a key is refused rather than silently keeping its last value. Device text is
printable: no control character of any range."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from userlink.models import auth_codes, installs, payloads
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    payload,
    redeem,
    redeem_body,
    upload,
)
from userlink_testing.factories.records import count_rows

JSON = {"content-type": "application/json"}


def documented_body_routes(api: httpx.Client) -> list[tuple[str, str]]:
    paths = api.get("/openapi.json").json()["paths"]
    return sorted(
        (method.upper(), path.replace("{install_id}", str(uuid.uuid4())))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation
    )


def test_every_route_with_a_body_refuses_an_object_that_repeats_a_key(api):
    routes = documented_body_routes(api)

    answers = {
        f"{method} {path.split('/')[-1]}": (
            api.request(method, path, content=b'{"a": 1, "a": 2}', headers=JSON).json()["errorCode"]
        )
        for method, path in routes
    }

    assert len(routes) >= 7
    assert set(answers.values()) == {"INVALID_JSON"}


def test_a_repeated_key_is_refused_and_issues_no_code(api, tenant, runtime):
    response = api.post(
        "/users/auth-code",
        content=b'{"external_id": "alice", "external_id": "mallory"}',
        headers={**bearer(tenant.link_key), **JSON},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert count_rows(runtime, auth_codes) == 0


def test_a_key_repeated_inside_a_payload_body_is_refused_and_nothing_is_stored(
    api, tenant, runtime
):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    batch = json.dumps({"payloads": [payload("p1")]}).replace(
        '"body": {}', '"body": {"n": 1, "n": 2}'
    )

    response = api.post(
        "/sdk/v1/payloads",
        content=batch.encode(),
        headers={**bearer(device["credentials"]["access_token"]), **JSON},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert count_rows(runtime, payloads) == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_body_in_another_unicode_encoding_is_invalid_json(api, tenant, runtime, encoding):
    response = api.post(
        "/users/auth-code",
        content='{"external_id": "alice"}'.encode(encoding),
        headers={**bearer(tenant.link_key), **JSON},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert count_rows(runtime, auth_codes) == 0


def test_a_body_starting_with_a_byte_order_mark_is_invalid_json(api, tenant, runtime):
    response = api.post(
        "/users/auth-code",
        content='{"external_id": "alice"}'.encode("utf-8-sig"),
        headers={**bearer(tenant.link_key), **JSON},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert count_rows(runtime, auth_codes) == 0


def test_invalid_json_does_not_echo_the_body(api, tenant):
    response = api.post(
        "/users/auth-code",
        content=b'{"external_id": "secret-looking-value", "external_id": "x"}',
        headers={**bearer(tenant.link_key), **JSON},
    )

    assert response.json()["errorCode"] == "INVALID_JSON"
    assert "secret-looking-value" not in response.text


C1_CONTROLS = ["\x80", "\x85", "\x9b", "\x9f"]


@pytest.mark.parametrize("character", C1_CONTROLS, ids=["U+0080", "NEL", "CSI", "U+009F"])
@pytest.mark.parametrize("field", ["model", "os_version"])
def test_device_text_with_a_c1_control_character_is_a_validation_error(
    api, tenant, runtime, field, character
):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        "/sdk/v1/users",
        json=redeem_body(code, device={"platform": "android", field: f"Pixel{character}8"}),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, installs) == 0


@pytest.mark.parametrize("character", C1_CONTROLS, ids=["U+0080", "NEL", "CSI", "U+009F"])
def test_app_version_with_a_c1_control_character_is_a_validation_error(
    api, tenant, runtime, character
):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        "/sdk/v1/users", json=redeem_body(code, app={"app_version": f"1.0{character}"})
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, installs) == 0


@pytest.mark.parametrize("character", C1_CONTROLS, ids=["U+0080", "NEL", "CSI", "U+009F"])
def test_payload_type_with_a_c1_control_character_is_a_validation_error(
    api, tenant, runtime, character
):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(
        api,
        device["credentials"]["access_token"],
        [{**payload("p1"), "type": f"trip{character}"}],
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, payloads) == 0


def test_device_text_beyond_the_c1_range_is_accepted(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")

    response = api.post(
        "/sdk/v1/users",
        json=redeem_body(code, device={"platform": "android", "model": "Pixel\xa08 ünd 日本"}),
    )

    assert response.status_code == 200
