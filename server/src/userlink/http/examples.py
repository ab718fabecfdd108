"""The example request and answer of a route in the OpenAPI document: where they go.

They sit on the operation (`openapi_extra`), in the media types of its request body and of its
success response, not on the models: one model serves several routes, and the fuzz test reads the
document without them (schemathesis cannot combine examples with its own strategies)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

JSON = "application/json"


def examples(
    *,
    response: Any,
    request: Any = None,
    status: int = 200,
    media_type: str = JSON,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`openapi_extra` for a route: `response` is the body of its `status` answer, `request` the
    body it is sent (for routes that take one); `extra` is the rest of the route's openapi_extra
    (the `Idempotency-Key` parameter, say)."""
    document: dict[str, Any] = dict(extra or {})
    document["responses"] = {str(status): {"content": {media_type: {"example": response}}}}
    if request is not None:
        document["requestBody"] = {"content": {JSON: {"example": request}}}
    return document


def restore_examples(document: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """FastAPI leaves every null out of the document it generates, the examples' own included
    (`"next_cursor": null` would vanish from a page): each route's examples, put back as
    written."""
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        if not route.openapi_extra:
            continue
        operations = document["paths"][route.path_format]
        for method in route.methods or ():
            _copy_examples(route.openapi_extra, operations[method.lower()])


def _copy_examples(source: dict[str, Any], target: dict[str, Any]) -> None:
    for key, value in source.items():
        if key == "example":
            target[key] = value
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _copy_examples(value, target[key])
