"""Every dashboard form carries a CSRF token, and a form sent without it, or with another
browser's, is refused (403) and does nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from userlink_testing.browser import csrf_token_on, log_in, path_of, submit_login
from userlink_testing.factories.accounts import make_account

LOG_OUT_EVERYWHERE = "form[action='/dashboard/account/logout-everywhere']"


def drop_csrf_token(page: Page, form: str) -> None:
    page.locator(f"{form} input[name=csrf_token]").evaluate("input => input.remove()")


def test_the_login_form_without_its_csrf_token_is_refused(page, runtime):
    owner = make_account(runtime)
    page.goto("/dashboard/login")
    drop_csrf_token(page, "form[action='/dashboard/login']")

    with page.expect_response(re.compile(r"/dashboard/login$")) as answer:
        submit_login(page, owner.email, owner.password)

    assert answer.value.status == 403
    expect(page.locator("[data-error-code=CSRF_TOKEN_INVALID]")).to_be_visible()
    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/login"


def test_a_signed_in_form_without_its_csrf_token_is_refused_and_does_nothing(page, live, runtime):
    owner = make_account(runtime)
    log_in(page, owner, live.clock)
    page.goto("/dashboard/account")
    drop_csrf_token(page, LOG_OUT_EVERYWHERE)

    with page.expect_response(re.compile(r"/logout-everywhere$")) as answer:
        page.get_by_role("button", name="Log out everywhere").click()

    assert answer.value.status == 403
    expect(page.locator("[data-error-code=CSRF_TOKEN_INVALID]")).to_be_visible()
    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/account"


def test_a_form_carrying_another_browsers_csrf_token_is_refused(open_page, live, runtime):
    owner = make_account(runtime)
    other = make_account(runtime)
    page = open_page(live.url)
    elsewhere = open_page(live.url)
    log_in(page, owner, live.clock)
    log_in(elsewhere, other, live.clock)
    elsewhere.goto("/dashboard/account")
    foreign_token = csrf_token_on(elsewhere)
    page.goto("/dashboard/account")
    page.locator(f"{LOG_OUT_EVERYWHERE} input[name=csrf_token]").evaluate(
        "(input, token) => { input.value = token; }", foreign_token
    )

    with page.expect_response(re.compile(r"/logout-everywhere$")) as answer:
        page.get_by_role("button", name="Log out everywhere").click()

    assert answer.value.status == 403
    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/account"
