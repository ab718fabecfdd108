"""A real browser for the dashboard's tests and screenshots: Playwright for Python driving
Debian's Chromium (`apt-get install chromium`; Playwright's own browser download is not used),
and the steps a person takes on the dashboard's pages."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from playwright.sync_api import Browser, Page, Playwright

from userlink_testing.clock import ShiftableClock
from userlink_testing.factories.accounts import TestAccount

CHROMIUM = Path(os.environ.get("USERLINK_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER_ENV = "USERLINK_TEST_REQUIRE_BROWSER"
MISSING = (
    f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's package "
    "(apt-get install -y chromium)"
)


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def browser_required() -> bool:
    """CI (CI=true, as .ci/run is started) and runs that ask for it may not skip the browser."""
    return bool(os.environ.get(REQUIRE_BROWSER_ENV)) or os.environ.get("CI", "") not in {
        "",
        "0",
        "false",
    }


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def totp_code(secret: str, clock: ShiftableClock, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows now (plus some 30 s steps), by the server's clock."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * steps_ahead))


def submit_login(page: Page, email: str, password: str) -> None:
    """The login form, filled and sent; the page ends wherever the dashboard sends it."""
    if not page.url.split("?")[0].endswith("/dashboard/login"):
        page.goto("/dashboard/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def submit_second_factor(page: Page, code: str) -> None:
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def log_in(page: Page, account: TestAccount, clock: ShiftableClock) -> None:
    """Password, then the authenticator's current code when the account has one. TOTP codes
    are single-use per 30 s step: move the clock between two logins of one account."""
    submit_login(page, account.email, account.password)
    if account.totp_secret is not None:
        submit_second_factor(page, totp_code(account.totp_secret, clock))


def csrf_token_on(page: Page) -> str:
    """The CSRF token of the page's forms (every dashboard page with a form carries one)."""
    value = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert value, f"no CSRF token on {page.url}"
    return value


def path_of(page: Page) -> str:
    """The path the page is on, without its query: where the dashboard sent the browser."""
    return urlsplit(page.url).path
