"""A user's page in a real browser: found by external id, its installs, and the active install
moving to a second device that restores the user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from userlink_testing.browser import log_in
from userlink_testing.factories import accounts as account_factories
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import issue_code, phone, redeem


@dataclass(frozen=True)
class Customer:
    owner: account_factories.TestAccount
    app_id: uuid.UUID
    link_key: str


@pytest.fixture
def customer(runtime) -> Customer:
    owner = make_account(runtime)
    app = make_app(runtime, name="Shop app", organisation_id=owner.organisation_id)
    return Customer(owner, app.app.id, make_key(runtime, app.app.id, scopes=("user.link",)))


def open_user(page: Page, app_id: uuid.UUID, external_id: str) -> None:
    """Find the user on the users page by its external id and open its page."""
    page.goto(f"/dashboard/apps/{app_id}/users")
    page.get_by_role("searchbox").fill(external_id)
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("found-user").get_by_role("link", name=external_id).click()
    page.wait_for_load_state()


def install_row(page: Page, install_id: str) -> Locator:
    return page.get_by_test_id(f"install-{install_id}")


def test_a_users_page_shows_its_active_install(page, live, api: httpx.Client, customer):
    first = redeem(api, issue_code(api, customer.link_key, "alice"), device=phone("Pixel 8"))
    log_in(page, customer.owner, live.clock)

    open_user(page, customer.app_id, "alice")

    expect(page.get_by_test_id("user-id")).to_have_text(first["user_id"])
    expect(install_row(page, first["install_id"])).to_have_attribute("data-active", "true")
    expect(install_row(page, first["install_id"])).to_contain_text("Pixel 8")


def test_the_active_install_moves_when_a_second_device_restores_the_user(
    page, live, api: httpx.Client, customer
):
    first = redeem(api, issue_code(api, customer.link_key, "alice"), device=phone("Pixel 8"))
    log_in(page, customer.owner, live.clock)
    open_user(page, customer.app_id, "alice")
    expect(install_row(page, first["install_id"])).to_have_attribute("data-active", "true")

    second = redeem(api, issue_code(api, customer.link_key, "alice"), device=phone("Pixel 9"))
    page.reload()

    assert second["restored"] is True
    assert second["user_id"] == first["user_id"]
    expect(install_row(page, second["install_id"])).to_have_attribute("data-active", "true")
    expect(install_row(page, second["install_id"])).to_contain_text("Pixel 9")
    expect(install_row(page, first["install_id"])).to_have_attribute("data-active", "false")
    expect(install_row(page, first["install_id"])).not_to_have_attribute("data-reason", "")
    expect(page.locator("[data-testid=event][data-event='user.restored']")).to_have_count(1)
