"""HTTP plumbing shared by every router: the error envelope, request refs, no-store caching."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer_backend import errors

logger = logging.getLogger("customer_backend")

REF_HEADER = "X-Request-Ref"
MAX_BODY_BYTES = 64 * 1024  # the largest legitimate body here is a username and a password


class ErrorBody(BaseModel):
    message: str = Field(examples=["Unknown username or wrong password."])
    errorCode: str = Field(examples=["INVALID_LOGIN"])
    ref: str = Field(description="Request reference; it is in this backend's logs too.")
    details: Any | None = None


def error_responses(*error_types: type[errors.CustomerBackendError]) -> dict[int | str, Any]:
    """OpenAPI `responses` for a route: each status with the errorCodes it can carry."""
    by_status: dict[int, list[type[errors.CustomerBackendError]]] = {}
    all_types: tuple[type[errors.CustomerBackendError], ...] = (
        *error_types,
        errors.ValidationFailed,
    )
    for error_type in all_types:
        by_status.setdefault(error_type.status_code, []).append(error_type)
    return {
        status: {
            "model": ErrorBody,
            "description": "; ".join(
                f"`{e.error_code}`: {e.default_message}" for e in dict.fromkeys(types)
            ),
        }
        for status, types in sorted(by_status.items())
    }


def request_ref(request: Request) -> str:
    return str(getattr(request.state, "ref", "")) or str(uuid.uuid4())


def client_address(request: Request) -> str:
    """The caller's IP. Behind a proxy, run uvicorn with --proxy-headers (and
    --forwarded-allow-ips) so this is the client's, not the proxy's."""
    return request.client.host if request.client else "unknown"


def envelope(
    request: Request,
    error: errors.CustomerBackendError,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "message": error.message,
        "errorCode": error.error_code,
        "ref": request_ref(request),
    }
    if details is not None:
        body["details"] = details
    return JSONResponse(
        body, status_code=error.status_code, headers={**error.headers(), **(headers or {})}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.CustomerBackendError)
    async def _domain(request: Request, exc: errors.CustomerBackendError) -> JSONResponse:
        return envelope(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back: it may hold a password.
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if any(d["type"] == "json_invalid" for d in details):
            return envelope(request, errors.InvalidJson())
        return envelope(request, errors.ValidationFailed(), details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        mapped: dict[int, type[errors.CustomerBackendError]] = {
            400: errors.InvalidJson,
            404: errors.RouteNotFound,
            405: errors.MethodNotAllowed,
            413: errors.PayloadTooLarge,
        }
        error_type = mapped.get(exc.status_code)
        if error_type is not None:
            return envelope(request, error_type())
        error = errors.CustomerBackendError(str(exc.detail))
        error.status_code, error.error_code = exc.status_code, "HTTP_ERROR"
        return envelope(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = request_ref(request)
        logger.exception("unexpected error (ref %s)", ref)
        # Starlette answers this one outside every middleware, so the headers are added here.
        return envelope(
            request,
            errors.CustomerBackendError(),
            headers={REF_HEADER: ref, "Cache-Control": "no-store"},
        )


class RequestRefMiddleware:
    """Gives every request a ref (the `X-Request-Ref` header and every error body), and marks
    every answer `Cache-Control: no-store`: they carry tokens, codes and secrets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ref = str(uuid.uuid4())
        scope.setdefault("state", {})["ref"] = ref

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((REF_HEADER.lower().encode(), ref.encode()))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, _limited(scope, receive), send_with_headers)


def _limited(scope: Scope, receive: Receive) -> Receive:
    """Refuses a body over MAX_BODY_BYTES, declared or streamed, before anything holds it all.
    (A Starlette HTTPException, not a domain error: FastAPI turns any other exception raised
    while it reads a body into a 400.)"""
    declared = dict(scope.get("headers", [])).get(b"content-length")
    too_large = declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES)
    received = 0

    async def receive_limited() -> Message:
        nonlocal received
        if too_large:
            raise StarletteHTTPException(413)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise StarletteHTTPException(413)
        return message

    return receive_limited
