"""`create_app(settings)`: builds everything; nothing happens at import time."""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import ip_address
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from userlink import migrate
from userlink.config import Settings
from userlink.errors import MetricsNotAllowed, NotReady, UserlinkError
from userlink.http.api_docs import mount_api_docs
from userlink.http.credentials import refuse_api_key_header
from userlink.http.dashboard.routes import mount_dashboard
from userlink.http.endpoints import auth_codes, legacy, payloads, reports, sdk, users, webhooks
from userlink.http.envelope import error_responses, install_error_handlers
from userlink.http.examples import examples, restore_examples
from userlink.http.grouped_writes import GroupedWritesRunner
from userlink.http.middleware import (
    BodyLimitMiddleware,
    MergeSlashesMiddleware,
    RequestRefMiddleware,
)
from userlink.http.schemas import examples as ex
from userlink.http.transactions import Runner, UseCaseRunner, run
from userlink.kit.clock import Clock, SystemClock
from userlink.kit.heap import settle_startup_heap
from userlink.kit.metrics import CONTENT_TYPE
from userlink.runtime import Runtime, build_runtime
from userlink.unit_of_work import UnitOfWork
from userlink.webhooks import service as webhooks_service
from userlink.webhooks.worker import BackgroundWorker, Worker

DESCRIPTION = """
userlink links the users of your app to platform users.

* **Server-to-server** routes take `Authorization: Bearer <API key>` and keep the wire contract of
  Sentiance-style platforms (`POST /users/auth-code`, `POST /v2/users/{install_id}/link`, ...).
* **SDK** routes under `/sdk/v1/` are called by the device SDK only.

Every error answers `{"message", "errorCode", "ref"}`.
"""


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    return create_app_for(build_runtime(settings, clock or SystemClock()))


def create_app_for(runtime: Runtime) -> FastAPI:
    # SQLite writes one transaction at a time: its units of work are grouped (grouped_writes.py);
    # PostgreSQL runs as many at once as the pool has connections.
    runner: Runner = (
        GroupedWritesRunner(runtime)
        if runtime.database.engine.dialect.name == "sqlite"
        else UseCaseRunner(runtime)
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settle_startup_heap()
        # The embedded SQLite default delivers webhooks in-process: `make run` needs nothing else.
        delivery = (
            BackgroundWorker(
                Worker(
                    unit_of_work=runtime.unit_of_work,
                    settings=runtime.settings,
                    clock=runtime.clock,
                )
            )
            if runtime.settings.runs_webhook_worker_in_process
            else None
        )
        # SQLite: the log is copied into the file beside the writes, not inside their commits.
        runtime.database.start_background_checkpoints()
        if delivery is not None:
            delivery.start()
        yield
        if delivery is not None:
            delivery.stop()
        runner.stop()
        runtime.database.stop_background_checkpoints()
        runtime.database.dispose()

    app = FastAPI(
        title="userlink",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # No redirect to the path with or without a trailing slash: a 307 would answer outside
        # the error envelope (and a client's POST would not follow it); such a path is a 404.
        redirect_slashes=False,
        # Served by http/api_docs.py from the platform's own files, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.runner = runner
    install_error_handlers(app)

    api_routers = (
        auth_codes.router,
        legacy.router,
        users.router,
        payloads.router,
        reports.router,
        webhooks.router,
    )
    sdk_routers = (auth_codes.sdk_router, sdk.router, legacy.sdk_router, payloads.sdk_router)

    # Routes are matched in order, and each included router costs a check: the probes first (a
    # handful of plain routes, hit every few seconds), then the devices' routes, the busiest,
    # then the server-to-server ones (measured: /health behind the ten API routers ran at 0.6 times
    # the bare app's rate; docs/performance.md).
    @app.head("/health", include_in_schema=False)
    @app.get(
        "/health",
        tags=["operations"],
        summary="Liveness: the process answers",
        responses=error_responses(UserlinkError),
        openapi_extra=examples(response=ex.HEALTH),
    )
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/health/live",
        tags=["operations"],
        summary="Liveness for orchestrators: the process answers (no database)",
        responses=error_responses(UserlinkError),
        openapi_extra=examples(response=ex.HEALTH),
    )
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    expected_migration = migrate.head_revision()

    @app.get(
        "/health/ready",
        tags=["operations"],
        summary="Readiness: the database answers and is at this code's migration",
        responses=error_responses(NotReady),
        openapi_extra=examples(response=ex.READY),
    )
    async def ready(request: Request) -> dict[str, str]:
        def check(work: UnitOfWork) -> str | None:
            return migrate.revision_on(work.connection)

        try:
            found = await run(request, check)
        except SQLAlchemyError as error:
            raise NotReady(f"The database does not answer ({type(error).__name__}).") from None
        if found != expected_migration:
            raise NotReady(
                f"The database is at migration {found or 'none'}, this code needs "
                f"{expected_migration}: run `userlink migrate`."
            )
        return {"status": "ready", "migration": str(found)}

    token = runtime.settings.metrics_token
    metrics_token = token.get_secret_value() if token else None

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics (every worker's), for a scraper on this host or with the token",
        response_class=Response,
        responses={
            200: {
                "content": {CONTENT_TYPE: {"example": ex.METRICS}},
                "description": "The Prometheus text format.",
            },
            **error_responses(MetricsNotAllowed),
        },
    )
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, metrics_token):
            raise MetricsNotAllowed()
        # The metrics answer without the database (a scrape is how an outage is seen): the
        # backlog then keeps its last value, and /health/ready says what is wrong.
        with contextlib.suppress(SQLAlchemyError):
            runtime.metrics.webhook_backlog(await run(request, webhooks_service.backlog))
        # Under several workers this reads every worker's files: off the event loop.
        body = await anyio.to_thread.run_sync(runtime.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE)

    sdk_guard = [Depends(refuse_api_key_header)]
    for sdk_router in sdk_routers:
        app.include_router(sdk_router, dependencies=sdk_guard)
    for router in api_routers:
        app.include_router(router)

    generate_openapi = app.openapi
    # The routers' routes as declared (the app holds them as included routers) and the app's own.
    documented = [*app.routes, *(r for group in (*api_routers, *sdk_routers) for r in group.routes)]

    def openapi() -> dict[str, Any]:
        # Generated once, on the first request for it, then kept (FastAPI's own cache).
        if app.openapi_schema is None:
            restore_examples(generate_openapi(), documented)
        return app.openapi_schema or generate_openapi()

    app.openapi = openapi  # type: ignore[method-assign]

    # The pages last (measured: the dashboard's 40 routes ahead of the API's cost GET /health a
    # fifth of its rate).
    mount_api_docs(app)
    mount_dashboard(app)

    # Added innermost first: every response, including a refused body, carries a ref; paths reach
    # the router with repeated slashes merged.
    app.add_middleware(MergeSlashesMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=runtime.settings.max_request_body_bytes)
    app.add_middleware(
        RequestRefMiddleware,
        metrics=runtime.metrics,
        log_requests=runtime.settings.access_log,
    )
    return app


FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def metrics_allowed(request: Request, token: str | None) -> bool:
    """With a token: a request presenting it (`Authorization: Bearer …`). Without: a client on
    this host that came through no proxy (a proxy on this host would otherwise open /metrics to
    whoever reaches the proxy)."""
    if token is not None:
        presented = request.headers.get("authorization", "")
        return hmac.compare_digest(presented.encode(), f"Bearer {token}".encode())
    if any(name in request.headers for name in FORWARDING_HEADERS) or request.client is None:
        return False
    try:
        return ip_address(request.client.host).is_loopback
    except ValueError:
        return False
