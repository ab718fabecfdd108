"""`create_app(settings)`: builds everything; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from userlink.auth_codes import endpoints as auth_codes
from userlink.config import Settings
from userlink.dependencies import refuse_api_key_header
from userlink.errors import UserlinkError
from userlink.installs import endpoints as installs
from userlink.kit.clock import Clock, SystemClock
from userlink.links import endpoints as links
from userlink.payloads import endpoints as payloads
from userlink.platform import Platform, build_platform
from userlink.users import endpoints as users
from userlink.web import (
    BodyLimitMiddleware,
    RequestRefMiddleware,
    error_responses,
    install_error_handlers,
)

DESCRIPTION = """
userlink links the users of your app to platform users.

* **Server-to-server** routes take `Authorization: Bearer <API key>` and keep the wire contract of
  Sentiance-style platforms (`POST /users/auth-code`, `POST /v2/users/{install_id}/link`, ...).
* **SDK** routes under `/sdk/v1/` are called by the device SDK only.

Every error answers `{"message", "errorCode", "ref"}`.
"""


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    platform = build_platform(settings, clock or SystemClock())
    return create_app_for(platform)


def create_app_for(platform: Platform) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        platform.database.dispose()

    app = FastAPI(
        title="userlink",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_error_handlers(app)

    app.include_router(auth_codes.router)
    app.include_router(users.router)
    app.include_router(payloads.router)
    sdk_guard = [Depends(refuse_api_key_header)]
    for sdk_router in (
        auth_codes.sdk_router,
        installs.router,
        links.sdk_router,
        payloads.sdk_router,
    ):
        app.include_router(sdk_router, dependencies=sdk_guard)

    @app.head("/health", include_in_schema=False)
    @app.get(
        "/health",
        tags=["operations"],
        summary="Liveness: the process answers",
        responses=error_responses(UserlinkError),
    )
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # Outermost first: every response, including a refused body, carries a ref.
    app.add_middleware(BodyLimitMiddleware, max_bytes=platform.settings.max_request_body_bytes)
    app.add_middleware(RequestRefMiddleware)
    return app
