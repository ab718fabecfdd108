"""Browser tests of the dashboard: Debian's Chromium driven by Playwright, one browser per session
and a fresh context (its own cookies) and page per test, on the live server of each backend.

Without /usr/bin/chromium the tests skip with the reason, except in CI (CI=true, or
USERLINK_TEST_REQUIRE_BROWSER=1 as .ci/run sets it), where they fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from userlink_testing.browser import (
    MISSING,
    browser_required,
    chromium_available,
    launch_chromium,
)
from userlink_testing.live import LiveServer

# Long enough for a slow first page on a busy CI machine; a test never waits on it otherwise.
PAGE_TIMEOUT_MS = 30_000


# Per module, not per session: Playwright's sync API runs an event loop in the main thread for as
# long as it is started, and a test elsewhere that runs its own (asyncio.run) must not meet it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not chromium_available():
        if browser_required():
            pytest.fail(f"{MISSING}; this run requires the browser tests")
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


OpenPage = Callable[[str], Page]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """`open_page(base_url)`: a page in a browser context of its own (another person, or the
    same person on another device) on the server at base_url."""
    contexts: list[BrowserContext] = []

    def open_on(base_url: str) -> Page:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_on
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: OpenPage, live: LiveServer) -> Page:
    return open_page(live.url)
