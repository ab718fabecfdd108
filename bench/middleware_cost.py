"""What the request middleware costs per request, in process: `python -m bench.middleware_cost`.

Drives `RequestRefMiddleware` around a trivial ASGI app (no socket, no framework) with the scope a
routed request has, and prints the time per request with nothing, the ref alone, the ref and the
metrics, and the ref, the metrics and the JSON log line (written to an in-memory stream)."""

from __future__ import annotations

import asyncio
import io
import logging
import timeit
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from userlink.http.middleware import RequestRefMiddleware
from userlink.kit.logs import JsonFormatter
from userlink.kit.metrics import Metrics


@dataclass(frozen=True)
class MatchedRoute:
    """What the router leaves in the scope, as far as the middleware reads it."""

    path: str


ROUTE = MatchedRoute("/v2/users/{user_id}/timeline")
START = {"type": "http.response.start", "status": 200, "headers": []}
BODY = {"type": "http.response.body", "body": b"{}"}


async def trivial_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    scope["route"] = ROUTE  # as the router leaves it
    await send(dict(START))
    await send(BODY)


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b""}


async def send(message: Any) -> None:
    return None


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/v2/users/1/timeline",
        "headers": [(b"x-request-id", b"bench-request-0001")],
        "client": ("127.0.0.1", 5000),
    }


def per_request(app: Any, rounds: int = 50_000) -> float:
    loop = asyncio.new_event_loop()

    async def many() -> None:
        for _ in range(rounds):
            await app(scope(), receive, send)

    seconds = min(timeit.repeat(lambda: loop.run_until_complete(many()), number=1, repeat=5))
    loop.close()
    return seconds / rounds * 1e6


def main() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("userlink.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    base = per_request(trivial_app)
    cases = {
        "ref only": RequestRefMiddleware(trivial_app),
        "ref + metrics": RequestRefMiddleware(trivial_app, metrics=Metrics()),
        "ref + metrics + JSON log line": RequestRefMiddleware(
            trivial_app, metrics=Metrics(), log_requests=True
        ),
    }
    print(f"{'trivial app alone':32} {base:6.2f} µs/request")
    for name, app in cases.items():
        cost = per_request(app)
        print(f"{name:32} {cost:6.2f} µs/request  (+{cost - base:.2f})")


if __name__ == "__main__":
    main()
