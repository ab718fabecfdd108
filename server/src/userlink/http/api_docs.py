"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), with every script,
style and icon served by the platform itself: the files shipped in the fastapi-offline wheel. The
pages work offline and send the reader's browser to no third party (FastAPI's own pages load
them from a CDN and ReDoc's fonts from Google, so `create_app` turns those off).

Both pages also answer with a Content-Security-Policy that lets the browser load nothing from
another host: ReDoc's bundle still names an image of its vendor's (the "API docs by Redocly"
logo), which the policy keeps from being fetched."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIRECTORY = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH = "/docs/assets"
SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"

# Swagger UI would otherwise send the document to validator.swagger.io for its badge.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(page: HTMLResponse) -> str:
    """Only this origin; the page's own inline scripts by their hash. Styles may be inline (both
    bundles write style attributes and elements at run time); ReDoc's search runs in a worker
    made from a blob."""
    scripts = " ".join(
        [
            "'self'",
            *(
                f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
                for script in INLINE_SCRIPT.findall(bytes(page.body).decode())
            ),
        ]
    )
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _secured(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = content_security_policy(page)
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


def _base(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root


def mount_api_docs(app: FastAPI) -> None:
    """`/docs`, `/redoc` and their assets under `/docs/assets/`; none in the OpenAPI document."""
    openapi_path = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(ASSETS_DIRECTORY)), name="api-docs-assets")

    @app.get(SWAGGER_UI_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = _base(request)
        page = get_swagger_ui_html(
            openapi_url=f"{base}{openapi_path}",
            title=f"{app.title} API",
            swagger_js_url=f"{base}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{base}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
        return _secured(page)

    @app.get(REDOC_PATH, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = _base(request)
        page = get_redoc_html(
            openapi_url=f"{base}{openapi_path}",
            title=f"{app.title} API",
            redoc_js_url=f"{base}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{base}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
        return _secured(page)
