"""One error envelope everywhere (DESIGN §3): `{"message", "errorCode", "ref"}`, the ref echoed in
`X-Request-Ref`, and every route documenting its errors with that schema in OpenAPI."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from userlink.http.app import create_app_for
from userlink.http.envelope import REF_HEADER
from userlink_testing.factories.devices import bearer
from userlink_testing.live import get_in_process

ERROR_BODY_REF = "#/components/schemas/ErrorBody"
ENVELOPE_KEYS = {"message", "errorCode", "ref"}


def assert_envelope(response: httpx.Response) -> None:
    body = response.json()
    assert ENVELOPE_KEYS <= set(body) <= ENVELOPE_KEYS | {"details"}
    assert uuid.UUID(body["ref"])
    assert response.headers[REF_HEADER] == body["ref"]


def test_unknown_route_is_route_not_found_with_a_ref(api):
    response = api.get("/no/such/route")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "ROUTE_NOT_FOUND"
    assert_envelope(response)


def test_wrong_method_is_method_not_allowed(api):
    response = api.get("/users/auth-code")

    assert response.status_code == 405
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"
    assert_envelope(response)


def test_domain_error_carries_the_ref_in_body_and_header(api):
    response = api.post("/users/auth-code", json={"external_id": "alice"})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "MISSING_CREDENTIALS"
    assert_envelope(response)


def test_validation_error_carries_the_ref_and_the_failing_fields(api, tenant):
    response = api.post("/users/auth-code", json={}, headers=bearer(tenant.link_key))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert response.json()["details"][0]["loc"] == ["body", "external_id"]
    assert_envelope(response)


def test_body_refused_before_it_is_read_carries_the_ref(api, tenant):
    response = api.post(
        "/users/auth-code",
        content=b"x" * 2_000_000,
        headers={**bearer(tenant.link_key), "content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert_envelope(response)


def test_every_request_gets_its_own_ref(api):
    first = api.get("/no/such/route")
    second = api.get("/no/such/route")

    assert first.json()["ref"] != second.json()["ref"]


def test_successful_answer_carries_a_ref_header_too(api):
    response = api.get("/health")

    assert response.status_code == 200
    assert uuid.UUID(response.headers[REF_HEADER])


def test_unexpected_error_is_a_500_envelope_that_reveals_nothing(runtime):
    app = create_app_for(runtime)

    def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/explode", explode)

    response = asyncio.run(get_in_process(app, "/explode"))

    assert response.status_code == 500
    assert response.json()["errorCode"] == "INTERNAL_ERROR"
    assert "hunter2" not in response.text
    assert_envelope(response)


def documented_operations(api: httpx.Client) -> dict[str, dict]:
    paths = api.get("/openapi.json").json()["paths"]
    return {
        f"{method.upper()} {path}": operation
        for path, operations in paths.items()
        for method, operation in operations.items()
    }


def error_schemas(operation: dict) -> list[str]:
    return [
        response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]


def test_every_api_route_documents_its_errors_with_the_error_body(api):
    operations = documented_operations(api)

    undocumented = sorted(
        name
        for name, operation in operations.items()
        if ERROR_BODY_REF not in error_schemas(operation)
    )

    assert len(operations) > 10
    assert undocumented == []


def test_no_route_documents_a_bare_validation_error(api):
    operations = documented_operations(api)

    bare = sorted(
        name
        for name, operation in operations.items()
        if any(schema.endswith("/HTTPValidationError") for schema in error_schemas(operation))
    )

    assert bare == []


def test_documented_errors_name_their_error_codes(api):
    operation = documented_operations(api)["POST /users/auth-code"]

    descriptions = {status: r["description"] for status, r in operation["responses"].items()}

    assert "`MISSING_CREDENTIALS`" in descriptions["401"]
    assert "`INSUFFICIENT_SCOPE`" in descriptions["403"]
    assert "`INVALID_EXTERNAL_ID`" in descriptions["422"]
