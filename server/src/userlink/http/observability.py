"""What the platform says about each request: the route template it matched (a metric label and
a log field that never carries an id), the request log line, the refusal counts."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

from userlink import errors
from userlink.kit.metrics import Metrics

# Requests that matched no route share one label: a path is the caller's to choose, and a label
# per path would let anyone grow the metrics without bound.
UNMATCHED = "(unmatched)"

access_logger = logging.getLogger("userlink.access")


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v2/users/{user_id}/timeline`), set by the router in
    the scope (a mount's own path for its files)."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def log_request(scope: Scope, status: int, milliseconds: float, ref: str) -> None:
    """One line per request: method, route template, status, duration and ref. Never the path
    (ids), the query, a header or a body (codes, tokens, keys)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    method = scope["method"]
    route = route_template(scope)
    client = scope.get("client")
    # Made directly rather than by `info()`, which would look up the caller's frame: the same
    # record for a fraction of the cost, on every request.
    record = access_logger.makeRecord(
        access_logger.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d %.1fms ref=%s",
        (method, route, status, milliseconds, ref),
        None,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(milliseconds, 3),
            "ref": ref,
            "client": client[0] if client else None,
        },
    )
    access_logger.handle(record)


def metrics_of(app: Any) -> Metrics | None:
    runtime = getattr(app.state, "runtime", None)
    return None if runtime is None else runtime.metrics


def note_refusal(request: Request, error: errors.UserlinkError) -> None:
    """Count a refusal by route and errorCode (and a rate limit's by bucket): the error
    handlers' and the dashboard's error pages' one call."""
    metrics = metrics_of(request.app)
    if metrics is None:
        return
    metrics.count_refusal(route_template(request.scope), error.error_code)
    if isinstance(error, errors.RateLimited):
        metrics.count_rate_limited(error.bucket)
