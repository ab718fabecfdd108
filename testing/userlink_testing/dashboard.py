"""Driving the dashboard over HTTP in tests (no browser): CSRF tokens read from the pages, a
login with the second factor. Browser tests use Playwright instead (tests/browser)."""

from __future__ import annotations

import re

import httpx

from userlink.runtime import Runtime
from userlink_testing.factories.accounts import TestAccount, make_account

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF token on {page.url}"
    return found.group(1)


def post_form(
    client: httpx.Client, path: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """POST a form the way the browser would: with the CSRF token of the page it is on."""
    token = csrf_of(client.get(page or path))
    return client.post(path, data={**data, "csrf_token": token})


def log_in(client: httpx.Client, runtime: Runtime, account: TestAccount) -> None:
    """Password, then (when the account has TOTP) a current code; ends on the home page."""
    answer = post_form(
        client,
        "/dashboard/login",
        {"email": account.email, "password": account.password},
    )
    assert answer.status_code == 303, answer.text
    if account.totp_secret is not None:
        answer = post_form(
            client,
            "/dashboard/login/second-factor",
            {"code": account.totp_code(runtime)},
        )
        assert answer.status_code == 303, answer.text


def signed_in(client: httpx.Client, runtime: Runtime, **account: object) -> TestAccount:
    """An account made with these settings (an owner with TOTP by default), logged in."""
    made = make_account(runtime, **account)  # type: ignore[arg-type]
    log_in(client, runtime, made)
    return made


def dashboard_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
