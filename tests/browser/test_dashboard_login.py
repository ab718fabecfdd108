"""Logging in to the dashboard in a real browser: enrolling an authenticator at the first login,
a code from it at the next, a recovery code instead, and the limit on failed attempts."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from userlink_testing.browser import (
    log_in,
    path_of,
    submit_login,
    submit_second_factor,
    totp_code,
)
from userlink_testing.clock import ShiftableClock
from userlink_testing.factories.accounts import make_account


def a_code_that_is_not_current(secret: str | None, clock: ShiftableClock) -> str:
    """Six digits no authenticator shows around now (the server accepts a step either side)."""
    assert secret is not None
    around = {totp_code(secret, clock, steps_ahead=step) for step in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(10)) if code not in around)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_an_owner_without_an_authenticator_enrols_one_at_login_and_gets_ten_recovery_codes(
    page, live, runtime
):
    owner = make_account(runtime, totp=False)

    submit_login(page, owner.email, owner.password)

    assert path_of(page) == "/dashboard/account/second-factor"
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(totp_code(secret, live.clock))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)


def test_an_enrolled_authenticator_is_asked_for_at_the_next_login(page, live, runtime):
    owner = make_account(runtime, totp=False)
    submit_login(page, owner.email, owner.password)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(totp_code(secret, live.clock))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Continue to the dashboard").click()
    log_out(page)
    live.clock.advance(seconds=30)  # a code is good once per 30 s step

    submit_login(page, owner.email, owner.password)
    assert path_of(page) == "/dashboard/login/second-factor"
    submit_second_factor(page, totp_code(secret, live.clock))

    assert path_of(page) == "/dashboard/"
    expect(page.get_by_role("link", name=owner.email)).to_be_visible()


def test_a_wrong_authenticator_code_keeps_the_door_closed(page, live, runtime):
    owner = make_account(runtime)
    submit_login(page, owner.email, owner.password)

    submit_second_factor(page, a_code_that_is_not_current(owner.totp_secret, live.clock))

    assert path_of(page) == "/dashboard/login/second-factor"
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/login/second-factor"


def test_a_recovery_code_opens_the_account_in_place_of_the_authenticator(page, runtime):
    owner = make_account(runtime)

    submit_login(page, owner.email, owner.password)
    submit_second_factor(page, owner.recovery_codes[0])

    assert path_of(page) == "/dashboard/"
    page.goto("/dashboard/account")
    expect(page.get_by_text("9 recovery codes left")).to_be_visible()


def test_a_recovery_code_opens_the_account_only_once(page, runtime):
    owner = make_account(runtime)
    submit_login(page, owner.email, owner.password)
    submit_second_factor(page, owner.recovery_codes[0])
    log_out(page)

    submit_login(page, owner.email, owner.password)
    submit_second_factor(page, owner.recovery_codes[0])

    assert path_of(page) == "/dashboard/login/second-factor"
    expect(page.get_by_role("alert")).to_be_visible()


def test_a_wrong_password_is_refused_on_the_login_page(page, runtime):
    owner = make_account(runtime)

    submit_login(page, owner.email, "not the password at all")

    assert path_of(page) == "/dashboard/login"
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value(owner.email)


def test_logging_in_takes_the_viewer_back_to_the_page_they_asked_for(page, live, runtime):
    owner = make_account(runtime)

    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/login"
    log_in(page, owner, live.clock)

    assert path_of(page) == "/dashboard/account"


def test_repeated_failed_logins_of_an_account_are_answered_429(open_page, limited_server):
    server = limited_server(rate_limit_login_failures_per_account="3/15 minutes")
    owner = make_account(server.runtime)
    page = open_page(server.url)
    for _ in range(3):
        submit_login(page, owner.email, "a wrong password, again")
        expect(page.get_by_role("alert")).to_be_visible()

    with page.expect_response(re.compile(r"/dashboard/login$")) as answer:
        submit_login(page, owner.email, owner.password)

    assert answer.value.status == 429
    assert answer.value.headers.get("retry-after")
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
