"""The route class of every router: FastAPI's, reading JSON bodies strictly (`kit.strict_json`:
UTF-8 only, unique keys). The body is still parsed once, where FastAPI parses it; a refusal is
FastAPI's own JSON decode error, which the envelope answers as 400 `INVALID_JSON`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from userlink.kit import strict_json


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json.loads(await self.body())
        return self._json


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_json_handler
