"""ASGI middleware, outermost first: a ref for every request, the body limit, then repeated
slashes merged before routing. All plain ASGI (no per-request task or thread)."""

from __future__ import annotations

import re
import uuid
from time import perf_counter

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from userlink import errors
from userlink.http.envelope import REF_HEADER
from userlink.http.observability import log_request, route_template
from userlink.kit.metrics import Metrics

# A caller's own request id is kept when it is plainly an id: short, no spaces or markup (it is
# echoed in headers and stored with identity events, 64 characters at most).
INBOUND_REF = re.compile(rb"[A-Za-z0-9._:\-]{8,64}")


def inbound_ref(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-request-id":
            return value.decode("ascii") if INBOUND_REF.fullmatch(value) else None
    return None


class RequestRefMiddleware:
    """Gives every request a ref, echoed in the `X-Request-Ref` header and every error body:
    the caller's `X-Request-ID` when it is a well-formed id (so logs on both sides line up),
    else a new UUID. Outermost, it also times the request: one observation in the metrics (by
    method, route template and status) and, when `log_requests`, one log line."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics | None = None, log_requests: bool = False
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ref = inbound_ref(scope["headers"]) or str(uuid.uuid4())
        scope.setdefault("state", {})["ref"] = ref
        started = perf_counter()
        # An exception that escapes the app was answered 500 by the framework's outermost layer.
        status = 500

        async def send_with_ref(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(
                    (REF_HEADER.lower().encode(), ref.encode())
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_ref)
        finally:
            elapsed = perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe_request(
                    scope["method"], route_template(scope), status, elapsed
                )
            if self.log_requests:
                log_request(scope, status, elapsed * 1000, ref)


class BodyLimitMiddleware:
    """Refuses bodies over the limit before anything reads them, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise StarletteHTTPException(413)
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        ref = scope.get("state", {}).get("ref", str(uuid.uuid4()))
        error = errors.PayloadTooLarge()
        response = JSONResponse(
            {"message": error.message, "errorCode": error.error_code, "ref": ref},
            status_code=error.status_code,
        )

        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        await response(scope, no_body, send)


REPEATED_SLASHES = re.compile(r"//+")
REPEATED_RAW_SLASHES = re.compile(rb"//+")


class MergeSlashesMiddleware:
    """`//users/auth-code` is `/users/auth-code`: a customer's base URL ending in `/` joined with
    a path starting with one would otherwise miss every route. Applied before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            scope = dict(scope)
            scope["path"] = REPEATED_SLASHES.sub("/", scope["path"])
            raw_path = scope.get("raw_path")
            if raw_path is not None:
                scope["raw_path"] = REPEATED_RAW_SLASHES.sub(b"/", raw_path)
        await self.app(scope, receive, send)


async def require_json(request: Request) -> None:
    """Route dependency for JSON bodies: anything else is 415, not a confusing 422."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.UnsupportedMediaType()


async def require_json_if_any(request: Request) -> None:
    """Route dependency for an optional JSON body: none at all is fine, any other is 415."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    await require_json(request)
