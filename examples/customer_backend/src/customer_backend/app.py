"""`create_app(settings)`: builds everything; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from customer_backend.accounts import endpoints as accounts
from customer_backend.accounts.passwords import Passwords
from customer_backend.attestation import endpoints as attestation
from customer_backend.backend import build_backend
from customer_backend.clock import Clock
from customer_backend.config import Settings
from customer_backend.linking import endpoints as linking
from customer_backend.web import RequestRefMiddleware, install_error_handlers
from customer_backend.webhooks import endpoints as webhooks

DESCRIPTION = """
The reference customer backend for userlink: it logs in its own users, checks the device's
attestation, and asks the platform for authentication codes and install links with the API key,
which never leaves this server. The user id it hands the platform always comes from the session.

Every error answers `{"message", "errorCode", "ref"}`.
"""


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    platform_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The service for these settings. The keyword arguments are seams for tests and embedding:
    a clock to move, a password hasher (cheaper parameters in tests), a transport to the platform.
    """
    backend = build_backend(
        settings, clock=clock, passwords=passwords, platform_transport=platform_transport
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        backend.start()
        yield
        backend.close()

    app = FastAPI(
        title="userlink customer backend (reference)",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.backend = backend
    install_error_handlers(app)
    app.include_router(accounts.router)
    app.include_router(attestation.router)
    app.include_router(linking.router)
    app.include_router(webhooks.router)

    @app.get("/health", tags=["operations"], summary="Liveness: the process answers")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestRefMiddleware)
    return app
