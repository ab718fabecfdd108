"""What a password alone, a stolen session or a burst of guesses must not achieve (found by a
security review of the dashboard)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pyotp

from userlink.accounts.rules import Role
from userlink.audit.service import recent_events
from userlink_testing.dashboard import csrf_of, dashboard_client, log_in, post_form
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.apps import make_app


def new_authenticator(client) -> tuple[str, str]:
    page = client.get("/dashboard/account/second-factor")
    secret = re.search(r'data-testid="totp-secret">([^<]+)<', page.text)
    assert secret is not None, page.text
    return secret.group(1), csrf_of(page)


def test_password_alone_cannot_replace_the_authenticator(browser, runtime):
    owner = make_account(runtime)
    post_form(browser, "/dashboard/login", {"email": owner.email, "password": owner.password})

    enrolment = browser.get("/dashboard/account/second-factor")
    password_change = browser.get("/dashboard/account/password")

    assert enrolment.status_code == 303
    assert enrolment.headers["location"] == "/dashboard/login/second-factor"
    assert password_change.headers["location"] == "/dashboard/login/second-factor"


def test_moving_the_authenticator_needs_a_code_of_the_current_one(browser, runtime, live):
    owner = make_account(runtime)
    log_in(browser, runtime, owner)
    live.clock.advance(seconds=30)
    secret, token = new_authenticator(browser)
    new_code = pyotp.TOTP(secret).at(runtime.clock.now().timestamp())

    refused = browser.post(
        "/dashboard/account/second-factor",
        data={"csrf_token": token, "code": new_code, "current_code": "000000"},
    )
    moved = browser.post(
        "/dashboard/account/second-factor",
        data={"csrf_token": token, "code": new_code, "current_code": owner.totp_code(runtime)},
    )

    assert refused.status_code == 401
    assert moved.status_code == 200
    assert moved.text.count("<li><code>") == 10


def test_a_new_password_ends_the_other_sessions(live, runtime):
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    with dashboard_client(live.url) as thief, dashboard_client(live.url) as owner:
        log_in(thief, runtime, account)
        log_in(owner, runtime, account)

        changed = post_form(
            owner,
            "/dashboard/account/password",
            {
                "current_password": account.password,
                "new_password": "a fresh long passphrase",
                "repeat_password": "a fresh long passphrase",
            },
        )

        assert changed.status_code == 303
        assert owner.get("/dashboard/account").status_code == 200
        assert thief.get("/dashboard/account").status_code == 303


def test_wrong_current_passwords_count_against_the_login_limit(limited_server, runtime):
    server = limited_server(rate_limit_login_failures_per_account="2/15 minutes")
    account = make_account(runtime, totp=False, role=Role.VIEWER)
    with dashboard_client(server.url) as client:
        log_in(client, runtime, account)
        statuses = [
            post_form(
                client,
                "/dashboard/account/password",
                {
                    "current_password": "a wrong guess here",
                    "new_password": "a fresh long passphrase",
                    "repeat_password": "a fresh long passphrase",
                },
            ).status_code
            for _ in range(3)
        ]

    assert statuses == [422, 422, 429]


def test_a_burst_of_guesses_is_judged_one_by_one(limited_server, runtime):
    server = limited_server(rate_limit_login_failures_per_account="3/15 minutes")
    account = make_account(runtime, totp=False, role=Role.VIEWER)

    def guess(password: str) -> int:
        with dashboard_client(server.url) as client:
            return post_form(
                client, "/dashboard/login", {"email": account.email, "password": password}
            ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(guess, [f"wrong guess {n:03}" for n in range(12)]))

    assert statuses.count(401) == 3
    assert statuses.count(429) == 9


def test_an_invitation_link_alone_never_adds_an_existing_account(live, runtime):
    owner = make_account(runtime)
    invitee = make_account(runtime, role=Role.VIEWER, totp=False)
    with dashboard_client(live.url) as client:
        log_in(client, runtime, owner)
        invited = post_form(
            client,
            f"/dashboard/orgs/{owner.organisation_id}/invitations",
            {"email": invitee.email, "role": "owner"},
            page=f"/dashboard/orgs/{owner.organisation_id}/members",
        )
    path = re.search(
        r'data-testid="invitation-link">[^<]*(/dashboard/invitations/[^<]+)<', invited.text
    )
    assert path is not None
    with dashboard_client(live.url) as stranger:
        form = stranger.get(path.group(1))
        refused = stranger.post(
            path.group(1),
            data={
                "csrf_token": csrf_of(form),
                "password": "a stranger's password",
                "repeat_password": "a stranger's password",
            },
        )
    with dashboard_client(live.url) as client:
        log_in(client, runtime, invitee)
        accepted = post_form(client, path.group(1), {})
        home = client.get("/dashboard/")

    assert refused.status_code == 409
    assert "has an account already: log in as it" in refused.text
    assert accepted.status_code == 303
    # Now an owner, the invitee must enrol an authenticator before anything else.
    assert home.headers["location"] == "/dashboard/account/second-factor"


def test_revoking_an_invitation_is_audited(live, runtime):
    owner = make_account(runtime)
    with dashboard_client(live.url) as client:
        log_in(client, runtime, owner)
        members = f"/dashboard/orgs/{owner.organisation_id}/members"
        post_form(
            client,
            f"/dashboard/orgs/{owner.organisation_id}/invitations",
            {"email": "someone@example.com", "role": "viewer"},
            page=members,
        )
        invitation_id = re.search(r"/invitations/([0-9a-f-]{36})/revoke", client.get(members).text)
        assert invitation_id is not None
        post_form(
            client,
            f"/dashboard/orgs/{owner.organisation_id}/invitations/{invitation_id.group(1)}/revoke",
            {},
            page=members,
        )

    with runtime.unit_of_work() as work:
        events = [(e.event, e.actor) for e in recent_events(work.connection)]
    assert ("member.invitation_revoked", f"account:{owner.id}") in events


def test_absurd_numbers_in_forms_and_queries_are_refused_as_pages(browser, runtime):
    operator = make_account(runtime, operator=True)
    app = make_app(runtime, organisation_id=operator.organisation_id)
    log_in(browser, runtime, operator)

    rotation = post_form(
        browser,
        f"/dashboard/apps/{app.app.id}/secret",
        {"overlap_hours": "99999999999"},
        page=f"/dashboard/apps/{app.app.id}",
    )
    audit_page = browser.get("/dashboard/admin", params={"before": "9" * 30})

    assert rotation.status_code == 422
    assert audit_page.status_code == 422
    assert audit_page.headers["content-type"].startswith("text/html")
    assert audit_page.headers["x-frame-options"] == "DENY"
