"""API keys made and revoked in a real browser, and used by an HTTP client the way the README's
curl step uses them: a key works at once on `POST /users/auth-code`, is shown once and never
again, and is refused once revoked. A viewer is offered no such button, and a forged request is
refused."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from userlink.accounts.rules import Role
from userlink.api_keys import rules as key_rules
from userlink.api_keys import service as api_keys
from userlink_testing.browser import csrf_token_on, log_in, path_of
from userlink_testing.factories import accounts as account_factories
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app


@dataclass(frozen=True)
class Organisation:
    owner: account_factories.TestAccount
    app_id: uuid.UUID

    @property
    def keys_path(self) -> str:
        return f"/dashboard/apps/{self.app_id}/keys"


@pytest.fixture
def organisation(runtime) -> Organisation:
    owner = make_account(runtime)
    app = make_app(runtime, name="Shop app", organisation_id=owner.organisation_id)
    return Organisation(owner=owner, app_id=app.app.id)


def create_key_in_the_browser(page: Page, keys_path: str, name: str) -> str:
    """The keys page's form, filled and sent (scope user.link); the key the next page shows."""
    page.goto(keys_path)
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=scopes][value='user.link']").check()
    page.get_by_role("button", name="Create the key").click()
    key = page.get_by_test_id("api-key").inner_text().strip()
    assert key
    return key


def auth_code(live, key: str) -> httpx.Response:
    """What the README's curl step sends: POST /users/auth-code with the key as a bearer."""
    return httpx.post(
        f"{live.url}/users/auth-code",
        json={"external_id": "alice"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_a_key_created_in_the_browser_issues_auth_codes_on_the_api(page, live, organisation):
    log_in(page, organisation.owner, live.clock)

    key = create_key_in_the_browser(page, organisation.keys_path, "production backend")
    answer = auth_code(live, key)

    assert answer.status_code == 200, answer.text
    assert answer.json()["authentication_code"]


def test_a_created_key_is_never_shown_again_the_list_shows_its_hint(page, live, organisation):
    log_in(page, organisation.owner, live.clock)
    key = create_key_in_the_browser(page, organisation.keys_path, "production backend")

    page.get_by_role("link", name="Back to the keys").click()
    page.wait_for_load_state()

    assert path_of(page) == organisation.keys_path
    row = page.get_by_test_id("keys").locator("tr", has_text="production backend")
    expect(row).to_contain_text(key_rules.hint(key))
    assert key not in page.content()
    page.reload()
    assert key not in page.content()


def test_a_key_revoked_in_the_browser_is_refused_by_the_api_at_once(page, live, organisation):
    log_in(page, organisation.owner, live.clock)
    key = create_key_in_the_browser(page, organisation.keys_path, "to be revoked")
    assert auth_code(live, key).status_code == 200
    page.goto(organisation.keys_path)

    row = page.get_by_test_id("keys").locator("tr", has_text=key_rules.hint(key))
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()

    expect(row).to_contain_text("revoked")
    answer = auth_code(live, key)
    assert answer.status_code == 401
    assert answer.json()["errorCode"] == "API_KEY_REVOKED"


def forge_post(page: Page, path: str, fields: dict[str, str]) -> tuple[int, str]:
    """A POST sent by script from the dashboard's own page, with the page's valid CSRF token:
    what a viewer could send without the button."""
    answer: dict[str, object] = page.evaluate(
        """async ([path, fields]) => {
            const response = await fetch(path, {
                method: "POST",
                body: new URLSearchParams(fields),
                credentials: "same-origin",
                redirect: "manual",
            });
            return {status: response.status, text: await response.text()};
        }""",
        [path, {**fields, "csrf_token": csrf_token_on(page)}],
    )
    return int(str(answer["status"])), str(answer["text"])


@pytest.fixture
def viewer(runtime, organisation) -> account_factories.TestAccount:
    return make_account(
        runtime, role=Role.VIEWER, organisation_id=organisation.owner.organisation_id, totp=False
    )


def test_a_viewer_sees_the_keys_but_no_button_to_create_or_revoke(
    page, live, runtime, organisation, viewer
):
    key = make_key(runtime, organisation.app_id, name="backend")
    log_in(page, viewer, live.clock)

    page.goto(organisation.keys_path)

    expect(page.get_by_test_id("keys")).to_contain_text(key_rules.hint(key))
    expect(page.get_by_role("button", name="Create the key")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    expect(page.get_by_role("button", name="Roll")).to_have_count(0)


def test_a_viewers_forged_key_creation_is_refused_403(page, live, runtime, organisation, viewer):
    log_in(page, viewer, live.clock)
    page.goto(organisation.keys_path)

    status, text = forge_post(
        page, organisation.keys_path, {"name": "forged", "scopes": "user.link"}
    )

    assert status == 403
    assert re.search(r'data-error-code="DASHBOARD_FORBIDDEN"', text), text
    with runtime.unit_of_work() as work:
        assert [k.name for k in api_keys.list_keys(work, organisation.app_id)] == []


def test_a_viewers_forged_revocation_is_refused_403(page, live, runtime, organisation, viewer):
    key = make_key(runtime, organisation.app_id, name="backend")
    with runtime.unit_of_work() as work:
        (stored,) = api_keys.list_keys(work, organisation.app_id)
    log_in(page, viewer, live.clock)
    page.goto(organisation.keys_path)

    status, _ = forge_post(page, f"{organisation.keys_path}/{stored.id}/revoke", {})

    assert status == 403
    assert auth_code(live, key).status_code == 200
