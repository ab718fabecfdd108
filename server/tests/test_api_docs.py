"""/docs and /redoc work offline: every script, style and icon they name is served by the platform
itself, and none is on another host. (tests/browser/test_api_docs_offline.py loads them in a
browser that may reach nothing else.)"""

from __future__ import annotations

import re

import httpx
import pytest

REFERENCE = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'""")
ANY_HOST = re.compile(r"(?:https?:)?//[\w.-]+", re.IGNORECASE)


def references(page: httpx.Response) -> list[str]:
    return [first or second for first, second in REFERENCE.findall(page.text)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_page_names_no_other_host(api, path):
    page = api.get(path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert ANY_HOST.findall(page.text) == []
    assert references(page) != []
    assert [url for url in references(page) if not url.startswith("/")] == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_every_asset_of_the_documentation_page_is_served_by_the_platform(api, path):
    named = references(api.get(path))

    answers = {url: api.get(url).status_code for url in named}

    assert set(answers.values()) == {200}, answers


def test_swagger_ui_loads_its_script_style_and_the_openapi_document(api):
    named = references(api.get("/docs"))

    assert any(url.endswith("/swagger-ui-bundle.js") for url in named)
    assert any(url.endswith("/swagger-ui.css") for url in named)
    assert "/openapi.json" in named


def test_redoc_loads_its_script_and_the_openapi_document(api):
    named = references(api.get("/redoc"))

    assert any(url.endswith("/redoc.standalone.js") for url in named)
    assert "/openapi.json" in named


def test_the_assets_are_served_with_their_media_types(api):
    script = api.get("/docs/assets/swagger-ui-bundle.js")
    style = api.get("/docs/assets/swagger-ui.css")

    assert script.headers["content-type"].split(";")[0] in {
        "text/javascript",
        "application/javascript",
    }
    assert style.headers["content-type"].startswith("text/css")


def test_the_documentation_pages_are_not_operations_of_the_api(api):
    paths = api.get("/openapi.json").json()["paths"]

    assert [p for p in paths if p.startswith(("/docs", "/redoc"))] == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_page_lets_the_browser_load_from_the_platform_only(api, path):
    policy = api.get(path).headers["content-security-policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["connect-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
