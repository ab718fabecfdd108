"""The OpenAPI document and the server agree: what the schema calls valid, the server accepts or
refuses with the errorCode the document names; every status a route answers is documented; and
every errorCode the document names is explained in the docs."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from userlink.models import payloads
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    payload,
    redeem,
    register_install,
    upload,
)
from userlink_testing.factories.records import count_rows

DOCS = Path(__file__).resolve().parents[2] / "docs"


def operations(api: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    paths = api.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path): operation
        for path, methods in paths.items()
        for method, operation in methods.items()
    }


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def schema(api: httpx.Client, name: str) -> dict[str, Any]:
    document: dict[str, Any] = api.get("/openapi.json").json()["components"]["schemas"][name]
    return document


def test_every_route_with_a_body_documents_400_413_and_415(api):
    body_routes = {key: op for key, op in operations(api).items() if "requestBody" in op}

    undocumented = {
        f"{method} {path}": sorted({"400", "413", "415"} - set(operation["responses"]))
        for (method, path), operation in body_routes.items()
        if not {"400", "413", "415"} <= set(operation["responses"])
    }

    assert len(body_routes) >= 8
    assert undocumented == {}


def test_every_route_with_a_body_answers_415_to_a_body_that_is_not_json(api):
    body_routes = [key for key, op in operations(api).items() if "requestBody" in op]

    answers = {
        f"{method} {path}": api.request(
            method,
            concrete(path),
            content=b"external_id=alice",
            headers={"content-type": "text/plain"},
        ).status_code
        for method, path in body_routes
    }

    assert set(answers.values()) == {415}, answers


def test_an_optional_body_may_still_be_left_out(api, tenant):
    installed = register_install(api, tenant.app_id, tenant.app_secret)

    response = api.post(
        "/sdk/v1/link/confirm", headers=bearer(installed["credentials"]["access_token"])
    )

    assert response.json()["errorCode"] == "INSTALL_NOT_LINKED"


def test_every_method_not_allowed_names_the_allowed_methods(api):
    documented: dict[str, set[str]] = {}
    for method, path in operations(api):
        documented.setdefault(path, set()).add(method)

    allow = {path: api.request("PUT", concrete(path)).headers.get("allow") for path in documented}

    assert {path: header is not None for path, header in allow.items()} == dict.fromkeys(
        documented, True
    )
    assert {
        path: methods <= set((allow[path] or "").split(", "))
        for path, methods in documented.items()
    } == dict.fromkeys(documented, True)


def test_method_not_allowed_on_health_names_get_and_head(api):
    response = api.delete("/health")

    assert response.status_code == 405
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("name", ["AuthCodeRequest", "LinkRequest"])
def test_the_schema_says_an_external_id_is_a_non_empty_string_or_an_integer(api, name):
    external_id = schema(api, name)["properties"]["external_id"]

    assert external_id["anyOf"] == [{"type": "string", "minLength": 1}, {"type": "integer"}]


def test_an_empty_external_id_is_refused_with_its_own_error_code(api, tenant):
    response = api.post(
        "/users/auth-code", json={"external_id": ""}, headers=bearer(tenant.link_key)
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_EXTERNAL_ID"


def test_the_schema_says_a_batch_holds_one_to_a_hundred_payloads(api):
    batch = schema(api, "UploadIn")["properties"]["payloads"]

    assert (batch["minItems"], batch["maxItems"]) == (1, 100)


def test_the_schema_says_a_timestamp_is_a_date_time_string(api):
    timestamp = schema(api, "PayloadIn")["properties"]["timestamp"]

    assert (timestamp["type"], timestamp["format"]) == ("string", "date-time")


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(253402300800, id="seconds-of-year-10000"),
        pytest.param(1_700_000_000, id="seconds"),
        pytest.param(1_700_000_000_000, id="milliseconds"),
        pytest.param(1.7e9, id="float"),
        pytest.param("1700000000", id="digits-as-text"),
        pytest.param("2026-01-01", id="date-without-time"),
    ],
)
def test_a_timestamp_that_is_not_a_date_time_string_is_refused(api, tenant, runtime, timestamp):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload(
        api, device["credentials"]["access_token"], [{**payload("p1"), "timestamp": timestamp}]
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert response.json()["details"][0]["loc"] == ["body", "payloads", 0, "timestamp"]
    assert count_rows(runtime, payloads) == 0


def documented_error_codes(operation: dict[str, Any]) -> set[str]:
    return {
        code
        for response in operation["responses"].values()
        for code in re.findall(r"`([A-Z][A-Z_]+)`", response.get("description", ""))
    }


def unexplained(api: httpx.Client, document: str, *, sdk_routes: bool) -> dict[str, list[str]]:
    text = (DOCS / document).read_text()
    missing = {
        f"{method} {path}": sorted(
            code for code in documented_error_codes(operation) if f"`{code}`" not in text
        )
        for (method, path), operation in operations(api).items()
        if path.startswith("/sdk/") == sdk_routes
    }
    return {route: codes for route, codes in missing.items() if codes}


def test_every_error_code_an_sdk_route_documents_is_in_the_protocol_document(api):
    assert unexplained(api, "sdk-protocol.md", sdk_routes=True) == {}


def test_every_error_code_a_server_route_documents_is_in_the_api_document(api):
    assert unexplained(api, "api.md", sdk_routes=False) == {}
