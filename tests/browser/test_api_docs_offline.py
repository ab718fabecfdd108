"""/docs (Swagger UI) and /redoc render in a browser that may reach nothing but the platform:
every script, style, font and icon they load is the platform's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect


@pytest.fixture
def elsewhere(page: Page, live) -> Iterator[list[str]]:
    """Requests the page tried to send anywhere but the platform: refused, and listed here."""
    platform = urlsplit(live.url).netloc
    tried: list[str] = []

    def only_the_platform(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == platform or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.route("**/*", only_the_platform)
    yield tried
    page.unroute("**/*")


@pytest.fixture
def script_errors(page: Page) -> list[str]:
    """Uncaught errors of the page's scripts (a bundle that failed to run)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_swagger_ui_renders_every_operation_from_the_platform_alone(page, elsewhere, script_errors):
    page.goto("/docs")

    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(
        # Exactly: /users/auth-code/preview is another operation.
        page.locator(
            ".swagger-ui .opblock-summary-path", has_text=re.compile(r"^/users/auth-code$")
        )
    ).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert script_errors == []


def test_redoc_renders_the_api_from_the_platform_alone(page, elsewhere, script_errors):
    page.goto("/redoc")

    expect(page.get_by_role("heading", name="userlink", exact=False).first).to_be_visible()
    expect(page.get_by_text("/users/auth-code").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert script_errors == []
