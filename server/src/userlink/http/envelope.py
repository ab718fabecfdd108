"""The error envelope: every error body, its OpenAPI description, and the handlers that render
the one error tree (and the framework's own errors) into it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from userlink import errors
from userlink.http.observability import note_refusal

logger = logging.getLogger("userlink")

REF_HEADER = "X-Request-Ref"


class ErrorBody(BaseModel):
    message: str = Field(
        description="What went wrong, for a person to read; may change, so match on errorCode.",
        examples=["Install was not found by the install ID provided."],
    )
    errorCode: str = Field(
        description="The stable UPPER_SNAKE code of the error (docs/api.md lists them all).",
        examples=["INSTALL_NOT_FOUND"],
    )
    ref: str = Field(description="Request reference; quote it when asking for support.")
    details: Any | None = Field(
        default=None,
        description="Only with `VALIDATION_ERROR` and `INVALID_JSON`: one `{loc, msg, type}` "
        "per problem found in the request (never the value sent).",
    )


# What any route with a JSON body can answer about the body itself.
BODY_ERRORS: tuple[type[errors.UserlinkError], ...] = (
    errors.InvalidJson,
    errors.UnsupportedMediaType,
    errors.PayloadTooLarge,
)

# The example error of every response: a fixed ref, as a real one looks.
EXAMPLE_REF = "3f2b8c1e-6d4a-4f0e-9b7a-2c5d8e1f4a60"


def error_responses(*error_types: type[errors.UserlinkError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: each status with the errorCodes it can carry, an example
    body (its first error), and `Retry-After` where one of them sends it (every 429)."""
    by_status: dict[int, list[type[errors.UserlinkError]]] = {}
    all_types: tuple[type[errors.UserlinkError], ...] = (*error_types, errors.ValidationFailed)
    for error_type in all_types:
        by_status.setdefault(error_type.status_code, []).append(error_type)
    return {
        status: _error_response(list(dict.fromkeys(types)))
        for status, types in sorted(by_status.items())
    }


def _error_response(types: list[type[errors.UserlinkError]]) -> dict[str, Any]:
    first = types[0]
    response: dict[str, Any] = {
        "model": ErrorBody,
        "description": "; ".join(f"`{e.error_code}`: {e.default_message}" for e in types),
        "content": {
            "application/json": {
                "example": {
                    "message": first.default_message,
                    "errorCode": first.error_code,
                    "ref": EXAMPLE_REF,
                }
            }
        },
    }
    waits = [f"`{e.error_code}`" for e in types if e.sends_retry_after]
    if waits:
        response["headers"] = {
            "Retry-After": {
                "description": f"With {', '.join(waits)}: how many seconds to wait before "
                "sending the request again.",
                "schema": {"type": "integer", "minimum": 0},
                "example": 1 if first.status_code == 409 else 60,
            }
        }
    return response


def request_ref(request: Request) -> str:
    return str(getattr(request.state, "ref", "")) or str(uuid.uuid4())


def envelope(
    request: Request,
    status: int,
    error_code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "message": message,
        "errorCode": error_code,
        "ref": request_ref(request),
    }
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the input back: it may be 10 kB, binary, or a secret sent in the wrong field.
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]


METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (the framework names only the first route's
    that matched the path: `/users/{id}` takes DELETE where `/users/auth-code` takes POST)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.UserlinkError)
    async def _domain(request: Request, exc: errors.UserlinkError) -> JSONResponse:
        note_refusal(request, exc)
        # Rate limits and requests still running say when to come back.
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return envelope(request, exc.status_code, exc.error_code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            error: errors.UserlinkError = errors.InvalidJson()
        else:
            error = errors.ValidationFailed()
        note_refusal(request, error)
        return envelope(request, error.status_code, error.error_code, error.message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        mapped: dict[int, type[errors.UserlinkError]] = {
            # Starlette's own 400 is a body it could not parse (not UTF-8, say).
            400: errors.InvalidJson,
            404: errors.RouteNotFound,
            405: errors.MethodNotAllowed,
            413: errors.PayloadTooLarge,
            415: errors.UnsupportedMediaType,
        }
        error_type = mapped.get(exc.status_code)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        if error_type is not None:
            error = error_type()
            note_refusal(request, error)
            return envelope(
                request, error.status_code, error.error_code, error.message, None, headers
            )
        return envelope(request, exc.status_code, "HTTP_ERROR", str(exc.detail), None, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = request_ref(request)
        logger.exception("unexpected error (ref %s)", ref, extra={"ref": ref})
        error = errors.UserlinkError()
        note_refusal(request, error)
        # Starlette answers this one outside every middleware, RequestRefMiddleware included.
        return envelope(request, 500, error.error_code, error.message, headers={REF_HEADER: ref})
