"""Logging in to the dashboard over HTTP: password, the TOTP second factor, recovery codes,
the one-time first password, sessions' limits, logout, CSRF and the login limit."""

from __future__ import annotations

import pyotp

from userlink.accounts.rules import Role
from userlink.audit.service import recent_events
from userlink_testing.dashboard import csrf_of, dashboard_client, log_in, post_form
from userlink_testing.factories.accounts import make_account


def test_login_page_sets_no_session_and_carries_a_csrf_token(browser):
    page = browser.get("/dashboard/login")

    assert page.status_code == 200
    assert csrf_of(page)
    assert "userlink_session" not in page.cookies
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_pages_need_a_session(browser):
    answer = browser.get("/dashboard/account")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login?next=/dashboard/account"


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(browser, runtime):
    account = make_account(runtime)

    wrong_password = post_form(
        browser, "/dashboard/login", {"email": account.email, "password": "not the password"}
    )
    unknown = post_form(
        browser, "/dashboard/login", {"email": "nobody@example.com", "password": "whatever it is"}
    )

    assert wrong_password.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong_password.text
    assert "Wrong email or password." in unknown.text
    assert "userlink_session" not in browser.cookies


def test_session_cookie_is_httponly_and_samesite_lax(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)

    answer = post_form(
        browser, "/dashboard/login", {"email": account.email, "password": account.password}
    )

    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303
    assert "userlink_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie


def test_totp_account_needs_its_code_before_any_page(browser, runtime):
    account = make_account(runtime)
    post_form(browser, "/dashboard/login", {"email": account.email, "password": account.password})

    before = browser.get("/dashboard/account")
    answer = post_form(
        browser, "/dashboard/login/second-factor", {"code": account.totp_code(runtime)}
    )
    after = browser.get("/dashboard/account")

    assert before.status_code == 303
    assert before.headers["location"] == "/dashboard/login/second-factor"
    assert answer.status_code == 303
    assert after.status_code == 200
    assert account.email in after.text


def test_a_totp_code_works_once(browser, runtime, live):
    account = make_account(runtime)
    code = account.totp_code(runtime)
    log_in(browser, runtime, account)
    post_form(browser, "/dashboard/logout", {}, page="/dashboard/account")

    post_form(browser, "/dashboard/login", {"email": account.email, "password": account.password})
    replayed = post_form(browser, "/dashboard/login/second-factor", {"code": code})

    assert replayed.status_code == 401
    assert "Wrong or already used code." in replayed.text


def test_recovery_code_opens_the_account_once(browser, runtime, live):
    account = make_account(runtime)
    recovery = account.recovery_codes[0]

    post_form(browser, "/dashboard/login", {"email": account.email, "password": account.password})
    first = post_form(browser, "/dashboard/login/second-factor", {"code": recovery})
    post_form(browser, "/dashboard/logout", {}, page="/dashboard/account")
    post_form(browser, "/dashboard/login", {"email": account.email, "password": account.password})
    second = post_form(browser, "/dashboard/login/second-factor", {"code": recovery})
    account_page = browser.get("/dashboard/account")

    assert first.status_code == 303
    assert second.status_code == 401
    assert account_page.status_code == 303  # still owes its second factor


def test_owner_without_totp_is_sent_to_enrol_and_gets_ten_recovery_codes(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.OWNER)
    post_form(browser, "/dashboard/login", {"email": account.email, "password": account.password})

    home = browser.get("/dashboard/account")
    enrolment = browser.get("/dashboard/account/second-factor")
    secret = enrolment.text.split('data-testid="totp-secret">', 1)[1].split("<", 1)[0]
    confirmed = browser.post(
        "/dashboard/account/second-factor",
        data={
            "csrf_token": csrf_of(enrolment),
            "code": pyotp.TOTP(secret).at(runtime.clock.now().timestamp()),
        },
    )

    assert home.status_code == 303
    assert home.headers["location"] == "/dashboard/account/second-factor"
    assert "<svg" in enrolment.text
    assert confirmed.status_code == 200
    assert confirmed.text.count("<li><code>") == 10
    assert browser.get("/dashboard/account").status_code == 200


def test_viewer_without_totp_may_go_on_without_it(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)

    log_in(browser, runtime, account)

    assert browser.get("/dashboard/account").status_code == 200


def test_one_time_password_must_be_replaced_first(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER, must_change_password=True)
    log_in(browser, runtime, account)

    forced = browser.get("/dashboard/account")
    changed = post_form(
        browser,
        "/dashboard/account/password",
        {
            "current_password": account.password,
            "new_password": "a much better passphrase",
            "repeat_password": "a much better passphrase",
        },
    )
    after = browser.get("/dashboard/account")

    assert forced.headers["location"] == "/dashboard/account/password"
    assert changed.status_code == 303
    assert after.status_code == 200


def test_short_new_password_is_refused(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER, must_change_password=True)
    log_in(browser, runtime, account)

    answer = post_form(
        browser,
        "/dashboard/account/password",
        {"current_password": account.password, "new_password": "short", "repeat_password": "short"},
    )

    assert answer.status_code == 422
    assert "at least 12 characters" in answer.text


def test_form_without_csrf_token_is_refused(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    log_in(browser, runtime, account)

    answer = browser.post("/dashboard/account/logout-everywhere", data={})

    assert answer.status_code == 403
    assert "CSRF_TOKEN_INVALID" in answer.text
    assert browser.get("/dashboard/account").status_code == 200


def test_cross_site_origin_is_refused_even_with_a_token(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    log_in(browser, runtime, account)
    token = csrf_of(browser.get("/dashboard/account"))

    answer = browser.post(
        "/dashboard/account/logout-everywhere",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )

    assert answer.status_code == 403


def test_session_ends_after_the_idle_limit(browser, runtime, live):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    log_in(browser, runtime, account)

    live.clock.advance(minutes=runtime.settings.dashboard_session_idle_minutes + 1)

    assert browser.get("/dashboard/account").status_code == 303


def test_activity_keeps_a_session_until_its_absolute_limit(browser, runtime, live):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    log_in(browser, runtime, account)
    step = runtime.settings.dashboard_session_idle_minutes - 5
    absolute = runtime.settings.dashboard_session_absolute_hours * 60

    seen = []
    for _ in range(absolute // step + 1):
        live.clock.advance(minutes=step)
        seen.append(browser.get("/dashboard/account").status_code)

    assert seen[0] == 200
    assert seen[-1] == 303


def test_logout_everywhere_ends_other_sessions(live, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    with dashboard_client(live.url) as laptop, dashboard_client(live.url) as phone:
        log_in(laptop, runtime, account)
        log_in(phone, runtime, account)

        post_form(phone, "/dashboard/account/logout-everywhere", {}, page="/dashboard/account")

        assert laptop.get("/dashboard/account").status_code == 303


def test_login_after_logout_needs_the_password_again(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    log_in(browser, runtime, account)
    old_cookie = browser.cookies["userlink_session"]

    post_form(browser, "/dashboard/logout", {}, page="/dashboard/account")
    browser.cookies.set("userlink_session", old_cookie, path="/dashboard")

    assert browser.get("/dashboard/account").status_code == 303


def test_next_parameter_never_leaves_the_dashboard(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)

    answer = post_form(
        browser,
        "/dashboard/login",
        {"email": account.email, "password": account.password, "next": "https://evil.example/"},
    )

    assert answer.headers["location"] == "/dashboard/"


def test_repeated_failures_are_limited_per_account(limited_server, runtime):
    server = limited_server(rate_limit_login_failures_per_account="3/15 minutes")
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    with dashboard_client(server.url) as client:
        statuses = [
            post_form(
                client, "/dashboard/login", {"email": account.email, "password": "wrong password!"}
            ).status_code
            for _ in range(4)
        ]
        right = post_form(
            client, "/dashboard/login", {"email": account.email, "password": account.password}
        )

    assert statuses == [401, 401, 401, 429]
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) > 0


def test_login_events_are_in_the_audit_log(browser, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    post_form(browser, "/dashboard/login", {"email": account.email, "password": "wrong password!"})
    log_in(browser, runtime, account)

    with runtime.unit_of_work() as work:
        events = [(e.event, e.actor) for e in recent_events(work.connection)]

    actor = f"account:{account.id}"
    assert ("login.succeeded", actor) in events
    assert ("login.failed", actor) in events


def test_dashboard_without_its_slash_leads_to_the_dashboard(browser):
    answer = browser.get("/dashboard")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/"
