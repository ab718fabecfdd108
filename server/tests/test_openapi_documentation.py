"""The OpenAPI document a reader gets at /docs: every operation with an example of its request
body and of its answers, each example valid against the schema it illustrates, every field and
parameter described, `Retry-After` on every answer that sends it; and nothing of the dashboard."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

JSON = "application/json"


@pytest.fixture
def document(api: httpx.Client) -> dict[str, Any]:
    served: dict[str, Any] = api.get("/openapi.json").json()
    return served


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def answers(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every documented answer with a body, by operation, status and media type."""
    return {
        f"{name} {status} {media_type}": content
        for name, operation in operations(document).items()
        for status, response in operation["responses"].items()
        for media_type, content in response.get("content", {}).items()
    }


def request_bodies(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: operation["requestBody"]["content"][JSON]
        for name, operation in operations(document).items()
        if "requestBody" in operation
    }


def mismatches(document: dict[str, Any], content: dict[str, Any]) -> list[str]:
    """How the example of a JSON media type fails its schema (references resolved in the
    document's components)."""
    schema = {**content["schema"], "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(content["example"])]


def test_every_operation_answers_with_an_example(document):
    documented = answers(document)

    assert len(documented) > 200
    assert sorted(name for name, content in documented.items() if "example" not in content) == []


def test_every_operation_but_a_204_shows_its_success_body(document):
    shown = {
        name
        for name, operation in operations(document).items()
        for status, response in operation["responses"].items()
        if status.startswith("2") and "content" in response
    }

    assert sorted(set(operations(document)) - shown) == [
        "DELETE /users/{user_id}",
        "DELETE /v2/webhooks/{endpoint_id}",
        "POST /sdk/v1/reset",
    ]


def test_every_operation_with_a_request_body_shows_one(document):
    bodies = request_bodies(document)

    assert len(bodies) >= 12
    assert sorted(name for name, content in bodies.items() if "example" not in content) == []


def test_every_request_example_is_valid_against_its_schema(document):
    invalid = {
        name: mismatches(document, content) for name, content in request_bodies(document).items()
    }

    assert {name: errors for name, errors in invalid.items() if errors} == {}


def test_every_answer_example_is_valid_against_its_schema(document):
    invalid = {
        name: mismatches(document, content)
        for name, content in answers(document).items()
        if name.endswith(JSON)
    }

    assert {name: errors for name, errors in invalid.items() if errors} == {}


def test_an_example_that_does_not_match_its_schema_is_found(document):
    content = operations(document)["POST /users/auth-code"]["responses"]["200"]["content"][JSON]

    assert mismatches(document, {**content, "example": {"expires_at": 1}}) != []


def test_every_field_of_every_model_is_described(document):
    schemas = document["components"]["schemas"]
    undescribed = {
        name: sorted(
            field
            for field, definition in schema.get("properties", {}).items()
            if not definition.get("description")
        )
        for name, schema in schemas.items()
    }

    assert len(schemas) > 40
    assert {name: fields for name, fields in undescribed.items() if fields} == {}


def test_every_parameter_is_described(document):
    undescribed = sorted(
        f"{name} {parameter['in']} {parameter['name']}"
        for name, operation in operations(document).items()
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    )

    assert undescribed == []


def says_retry_after(answer: dict[str, Any]) -> bool:
    return "Retry-After" in answer.get("headers", {})


def description(operation: dict[str, Any], status: str) -> str:
    text: str = operation["responses"].get(status, {}).get("description", "")
    return text


def test_every_429_documents_retry_after(document):
    limited = {
        name: operation["responses"]["429"]
        for name, operation in operations(document).items()
        if "429" in operation["responses"]
    }

    assert len(limited) > 25
    assert sorted(name for name, answer in limited.items() if not says_retry_after(answer)) == []


def test_a_409_that_can_be_a_request_still_running_documents_retry_after(document):
    in_progress = {
        name: operation["responses"]["409"]
        for name, operation in operations(document).items()
        if "`IDEMPOTENCY_KEY_IN_PROGRESS`" in description(operation, "409")
    }

    assert sorted(in_progress) == [
        "DELETE /users/{user_id}",
        "POST /users/auth-code",
        "POST /v2/users/{install_id}/link",
    ]
    assert [name for name, answer in in_progress.items() if not says_retry_after(answer)] == []


def test_the_dashboard_is_not_in_the_document(document):
    assert [path for path in document["paths"] if path.startswith("/dashboard")] == []
