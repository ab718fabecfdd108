"""The dashboard's users: finding a user, its page (installs and which one is active, the
timeline, identity events), erasure behind a typed confirmation, and operators disabling an
install."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from userlink.accounts.rules import Role
from userlink.models import users
from userlink_testing.dashboard import csrf_of, dashboard_client, log_in, post_form
from userlink_testing.factories import accounts as account_factories
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    payload,
    phone,
    redeem,
    tablet,
    upload,
)
from userlink_testing.factories.records import audit_rows, count_rows

_INSTALL_ROW = re.compile(
    r'data-testid="install-(?P<id>[0-9a-f-]{36})" data-active="(?P<active>true|false)" '
    r'data-status="(?P<status>\w+)" data-reason="(?P<reason>\w*)"'
)


@dataclass(frozen=True)
class Organisation:
    owner: account_factories.TestAccount
    app_id: uuid.UUID
    link_key: str
    read_key: str


@pytest.fixture
def org(runtime) -> Organisation:
    owner = make_account(runtime, role=Role.OWNER)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    return Organisation(
        owner=owner,
        app_id=app.id,
        link_key=make_key(runtime, app.id, scopes=("user.link",)),
        read_key=make_key(runtime, app.id, scopes=("user.read",)),
    )


@pytest.fixture
def owner_client(live, runtime, org) -> Iterator[httpx.Client]:
    with dashboard_client(live.url) as client:
        log_in(client, runtime, org.owner)
        yield client


@contextmanager
def signed_in(live, runtime, account: account_factories.TestAccount) -> Iterator[httpx.Client]:
    with dashboard_client(live.url) as client:
        log_in(client, runtime, account)
        yield client


def installs_on(page: httpx.Response) -> dict[str, tuple[bool, str, str]]:
    """Install id -> (active, status, inactive reason) as the user's page shows them."""
    return {
        row["id"]: (row["active"] == "true", row["status"], row["reason"])
        for row in _INSTALL_ROW.finditer(page.text)
    }


def user_page_path(org: Organisation, user_id: str) -> str:
    return f"/dashboard/apps/{org.app_id}/users/{user_id}"


def test_users_page_shows_the_active_install_move_to_a_second_phone_that_restores_the_user(
    api, org, owner_client
):
    first = redeem(api, issue_code(api, org.link_key, "alice"), device=phone("Pixel 7"))
    before = owner_client.get(user_page_path(org, first["user_id"]))

    second = redeem(api, issue_code(api, org.link_key, "alice"), device=phone("Pixel 9"))
    after = owner_client.get(user_page_path(org, first["user_id"]))

    assert second["user_id"] == first["user_id"]
    assert second["restored"] is True
    assert installs_on(before) == {first["install_id"]: (True, "live", "")}
    assert installs_on(after) == {
        second["install_id"]: (True, "live", ""),
        first["install_id"]: (False, "live", "NEWER_INSTALL_ACTIVE"),
    }
    assert "a newer install of this user is active" in after.text
    assert "Pixel 9" in after.text


def test_users_page_shows_a_tablet_inactive_behind_the_phone(api, org, owner_client):
    on_phone = redeem(api, issue_code(api, org.link_key, "alice"), device=phone())
    on_tablet = redeem(api, issue_code(api, org.link_key, "alice"), device=tablet())

    page = owner_client.get(user_page_path(org, on_phone["user_id"]))

    assert installs_on(page) == {
        on_phone["install_id"]: (True, "live", ""),
        on_tablet["install_id"]: (False, "live", "PHONE_PREFERRED_OVER_TABLET"),
    }
    assert "SDK 0.1.0" in page.text


def test_search_finds_a_user_by_external_id(api, org, owner_client):
    created = redeem(api, issue_code(api, org.link_key, "usér 42"))

    found = owner_client.get(f"/dashboard/apps/{org.app_id}/users", params={"q": "usér 42"})

    assert found.status_code == 200
    assert found.text.count('data-testid="found-user"') == 1
    assert f"/users/{created['user_id']}" in found.text


def test_search_finds_a_user_by_user_id(api, org, owner_client):
    created = redeem(api, issue_code(api, org.link_key, "alice"))

    found = owner_client.get(
        f"/dashboard/apps/{org.app_id}/users", params={"q": created["user_id"]}
    )

    assert found.text.count('data-testid="found-user"') == 1
    assert f"/users/{created['user_id']}" in found.text


def test_search_is_an_exact_match(api, org, owner_client):
    redeem(api, issue_code(api, org.link_key, "alice"))

    found = owner_client.get(f"/dashboard/apps/{org.app_id}/users", params={"q": "ali"})

    assert found.status_code == 200
    assert 'data-testid="no-user-found"' in found.text


def test_timeline_pages_newest_first_with_an_older_link(api, org, owner_client):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    token = created["credentials"]["access_token"]
    sent = [payload(f"p{n:02}", at=f"2026-11-21T10:{n:02}:00Z", n=n) for n in range(55)]
    assert upload(api, token, sent).status_code == 200

    first = owner_client.get(user_page_path(org, created["user_id"]))
    older_link = re.search(r'href="([^"]+)" data-testid="timeline-older"', first.text)
    assert older_link is not None
    older = owner_client.get(older_link.group(1).replace("&amp;", "&"))

    first_ids = re.findall(r'data-testid="timeline-entry" data-id="(p\d+)"', first.text)
    older_ids = re.findall(r'data-testid="timeline-entry" data-id="(p\d+)"', older.text)
    assert first_ids == [f"p{n:02}" for n in range(54, 4, -1)]
    assert older_ids == ["p04", "p03", "p02", "p01", "p00"]
    assert 'data-testid="timeline-older"' not in older.text


def test_identity_events_show_the_creation_and_the_restore(api, org, owner_client):
    first = redeem(api, issue_code(api, org.link_key, "alice"))
    redeem(api, issue_code(api, org.link_key, "alice"))

    page = owner_client.get(user_page_path(org, first["user_id"]))

    events = re.findall(r'data-testid="event" data-event="([\w.]+)"', page.text)
    assert events.index("user.restored") < events.index("user.created")  # newest first
    assert "install.deactivated" in events


def test_erasure_with_the_typed_external_id_removes_the_user(api, org, owner_client, runtime):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    path = user_page_path(org, created["user_id"])

    erased = post_form(owner_client, f"{path}/delete", {"confirmation": "alice"}, page=path)

    assert erased.status_code == 303
    assert erased.headers["location"].endswith("/users?notice=user-deleted")
    record = api.get(f"/v2/users/{created['user_id']}", headers=bearer(org.read_key))
    assert record.status_code == 404
    assert [row["actor"] for row in audit_rows(runtime, "user.deleted")] == [
        f"account:{org.owner.id}"
    ]


def test_erasure_accepts_the_user_id_as_confirmation(api, org, owner_client):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    path = user_page_path(org, created["user_id"])

    erased = post_form(
        owner_client, f"{path}/delete", {"confirmation": created["user_id"]}, page=path
    )

    assert erased.status_code == 303
    record = api.get(f"/v2/users/{created['user_id']}", headers=bearer(org.read_key))
    assert record.status_code == 404


def test_erasure_with_a_wrong_confirmation_keeps_the_user(api, org, owner_client, runtime):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    path = user_page_path(org, created["user_id"])

    refused = post_form(owner_client, f"{path}/delete", {"confirmation": "alicia"}, page=path)

    assert refused.status_code == 422
    assert 'data-testid="delete-error"' in refused.text
    record = api.get(f"/v2/users/{created['user_id']}", headers=bearer(org.read_key))
    assert record.status_code == 200
    assert count_rows(runtime, users, id=uuid.UUID(created["user_id"])) == 1


def test_viewer_sees_no_delete_button_and_a_forged_erasure_is_refused(api, org, live, runtime):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    reader = make_account(
        runtime, role=Role.VIEWER, organisation_id=org.owner.organisation_id, totp=False
    )
    path = user_page_path(org, created["user_id"])
    with signed_in(live, runtime, reader) as client:
        page = client.get(path)
        forged = client.post(
            f"{path}/delete", data={"csrf_token": csrf_of(page), "confirmation": "alice"}
        )

    assert page.status_code == 200
    assert 'data-testid="delete-user"' not in page.text
    assert f"{path}/delete" not in page.text
    assert forged.status_code == 403
    assert 'data-error-code="DASHBOARD_FORBIDDEN"' in forged.text
    record = api.get(f"/v2/users/{created['user_id']}", headers=bearer(org.read_key))
    assert record.status_code == 200


def test_owner_who_is_not_an_operator_sees_no_disable_button_and_gets_403(api, org, owner_client):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    path = user_page_path(org, created["user_id"])
    page = owner_client.get(path)

    forged = owner_client.post(
        f"/dashboard/apps/{org.app_id}/installs/{created['install_id']}/disable",
        data={"csrf_token": csrf_of(page)},
    )

    assert "/disable" not in page.text
    assert forged.status_code == 403
    assert installs_on(owner_client.get(path)) == {created["install_id"]: (True, "live", "")}


def test_operator_disables_an_install_and_its_credentials_stop_working(api, org, live, runtime):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    operator = make_account(runtime, operator=True)
    path = user_page_path(org, created["user_id"])
    with signed_in(live, runtime, operator) as client:
        page = client.get(path)
        disabled = client.post(
            f"/dashboard/apps/{org.app_id}/installs/{created['install_id']}/disable",
            data={"csrf_token": csrf_of(page)},
        )
        after = client.get(path)

    assert f'data-testid="disable-{created["install_id"]}"' in page.text
    assert disabled.status_code == 303
    assert disabled.headers["location"] == f"{path}?notice=install-disabled"
    assert installs_on(after) == {created["install_id"]: (False, "disabled", "INSTALL_DISABLED")}
    status = api.get("/sdk/v1/status", headers=bearer(created["credentials"]["access_token"]))
    assert status.status_code == 401
    assert [row["actor"] for row in audit_rows(runtime, "install.disabled")] == [
        f"account:{operator.id}"
    ]


def test_a_user_of_another_organisations_app_is_not_found(api, org, live, runtime):
    created = redeem(api, issue_code(api, org.link_key, "alice"))
    stranger = make_account(runtime, role=Role.OWNER)
    with signed_in(live, runtime, stranger) as client:
        page = client.get(user_page_path(org, created["user_id"]))
        search = client.get(f"/dashboard/apps/{org.app_id}/users", params={"q": "alice"})

    assert page.status_code == 404
    assert search.status_code == 404


def test_an_unknown_user_id_is_not_found(org, owner_client):
    page = owner_client.get(user_page_path(org, str(uuid.uuid4())))
    malformed = owner_client.get(user_page_path(org, "not-an-id"))

    assert page.status_code == malformed.status_code == 404
    assert 'data-error-code="USER_NOT_FOUND"' in page.text
