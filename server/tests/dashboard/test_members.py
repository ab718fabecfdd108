"""Owners manage their organisation's members: one-time invitation links, roles, removal; an
organisation keeps an owner; operators see every organisation and the audit of everything."""

from __future__ import annotations

import re

import pytest

from userlink.accounts.rules import Role
from userlink_testing.dashboard import csrf_of, dashboard_client, log_in, post_form
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.apps import make_app


@pytest.fixture
def owner_browser(live, runtime):
    owner = make_account(runtime, role=Role.OWNER)
    with dashboard_client(live.url) as client:
        log_in(client, runtime, owner)
        yield owner, client


def invitation_link(page_text: str) -> str:
    found = re.search(r'data-testid="invitation-link">([^<]+)<', page_text)
    assert found is not None
    return found.group(1)


def test_invited_person_joins_with_the_role_and_logs_in(owner_browser, live, runtime):
    owner, client = owner_browser
    members = f"/dashboard/orgs/{owner.organisation_id}/members"

    invited = post_form(
        client,
        f"/dashboard/orgs/{owner.organisation_id}/invitations",
        {"email": "New.Dev@Example.com", "role": "developer"},
        page=members,
    )
    path = invitation_link(invited.text).split(live.url, 1)[1]
    with dashboard_client(live.url) as newcomer:
        form = newcomer.get(path)
        accepted = newcomer.post(
            path,
            data={
                "csrf_token": csrf_of(form),
                "password": "a long enough password",
                "repeat_password": "a long enough password",
            },
        )
        login = post_form(
            newcomer,
            "/dashboard/login",
            {"email": "new.dev@example.com", "password": "a long enough password"},
        )
        reused = newcomer.get(path)

    listing = client.get(members)
    assert invited.status_code == 200
    assert form.headers["referrer-policy"] == "no-referrer"
    assert accepted.status_code == 303
    assert login.status_code == 303
    assert reused.status_code == 404
    assert "new.dev@example.com" in listing.text


def test_viewer_cannot_open_the_members_page_or_invite(live, runtime):
    owner = make_account(runtime, role=Role.OWNER)
    viewer = make_account(
        runtime, role=Role.VIEWER, organisation_id=owner.organisation_id, totp=False
    )
    with dashboard_client(live.url) as client:
        log_in(client, runtime, viewer)
        page = client.get(f"/dashboard/orgs/{owner.organisation_id}/members")
        token = csrf_of(client.get("/dashboard/account"))
        forged = client.post(
            f"/dashboard/orgs/{owner.organisation_id}/invitations",
            data={"csrf_token": token, "email": "x@example.com", "role": "owner"},
        )

    assert page.status_code == 403
    assert forged.status_code == 403
    assert "DASHBOARD_FORBIDDEN" in forged.text


def test_the_last_owner_cannot_be_demoted(owner_browser):
    owner, client = owner_browser
    members = f"/dashboard/orgs/{owner.organisation_id}/members"

    answer = post_form(
        client,
        f"/dashboard/orgs/{owner.organisation_id}/members/{owner.id}/role",
        {"role": "viewer"},
        page=members,
    )

    assert answer.status_code == 409
    assert "LAST_OWNER" in answer.text


def test_owner_changes_a_role_and_removes_a_member(owner_browser, runtime):
    owner, client = owner_browser
    member = make_account(
        runtime, role=Role.VIEWER, organisation_id=owner.organisation_id, totp=False
    )
    members = f"/dashboard/orgs/{owner.organisation_id}/members"

    promoted = post_form(
        client,
        f"/dashboard/orgs/{owner.organisation_id}/members/{member.id}/role",
        {"role": "developer"},
        page=members,
    )
    row_after_promotion = client.get(members).text.split(f'data-testid="member-{member.email}"')[1]
    removed = post_form(
        client,
        f"/dashboard/orgs/{owner.organisation_id}/members/{member.id}/remove",
        {},
        page=members,
    )

    assert promoted.status_code == 303
    assert 'value="developer" selected' in row_after_promotion.split("</tr>")[0]
    assert removed.status_code == 303
    assert member.email not in client.get(members).text


def test_operator_page_is_for_operators_only(live, runtime):
    owner = make_account(runtime, role=Role.OWNER)
    with dashboard_client(live.url) as client:
        log_in(client, runtime, owner)
        answer = client.get("/dashboard/admin")

    assert answer.status_code == 403


def test_operator_sees_every_organisation_and_app_and_the_audit(live, runtime):
    operator = make_account(runtime, role=Role.OWNER, operator=True)
    other_owner = make_account(runtime, role=Role.OWNER)
    make_app(runtime, name="Someone else's app", organisation_id=other_owner.organisation_id)
    make_app(runtime, name="CLI app without organisation")
    with dashboard_client(live.url) as client:
        log_in(client, runtime, operator)
        page = client.get("/dashboard/admin")

    assert page.status_code == 200
    assert "Someone else&#39;s app" in page.text
    assert "CLI app without organisation" in page.text
    assert "login.succeeded" in page.text
    assert "app.created" in page.text
