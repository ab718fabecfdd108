"""Placeholder external ids (`null`, `test`, `0`, the all-zero UUID…) are refused where an external
id enters the platform, a code's issuance and the legacy link, unless the app allows them; an
app may refuse more of its own. Through the routes a customer backend calls."""

from __future__ import annotations

import httpx
import pytest

from userlink.apps.rules import PLACEHOLDER_EXTERNAL_IDS
from userlink.models import auth_codes, users
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app, update_app
from userlink_testing.factories.devices import bearer, link, redeem, register_install
from userlink_testing.factories.records import count_rows

# Every default, and the spellings a backend really sends: any case, space around, zeros, UUIDs.
BLOCKED_BY_DEFAULT = [
    *sorted(PLACEHOLDER_EXTERNAL_IDS),
    "NULL",
    " Undefined ",
    "None\t",
    "NaN",
    "0",
    "000000",
    "00000000-0000-0000-0000-000000000000",
    "00000000000000000000000000000000",
    "{00000000-0000-0000-0000-000000000000}",
    "${userId}",
    "{{ user.id }}",
    "<your user id>",
]
ACCEPTED = ["tester42", "test-user-17", "user_1", "nullable", "0042", "guest-house", "Ann"]


def ask_for_code(api: httpx.Client, key: str, external_id: str) -> httpx.Response:
    return api.post("/users/auth-code", json={"external_id": external_id}, headers=bearer(key))


def send_id(api: httpx.Client, tenant, route: str, external_id: str) -> httpx.Response:
    """The external id sent on one of the routes it enters by: a code's issuance, or the legacy
    link of a fresh install."""
    if route == "auth-code":
        return ask_for_code(api, tenant.link_key, external_id)
    install = register_install(api, tenant.app_id, tenant.app_secret)
    return link(api, tenant.link_key, install["install_id"], external_id)


ROUTES = pytest.mark.parametrize("route", ["auth-code", "link"])


@ROUTES
@pytest.mark.parametrize("external_id", BLOCKED_BY_DEFAULT)
def test_a_default_placeholder_is_refused_and_nothing_is_stored(
    api, tenant, runtime, route, external_id
):
    response = send_id(api, tenant, route, external_id)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"
    assert "looks like a placeholder, not a user's identity" in response.json()["message"]
    assert count_rows(runtime, auth_codes) == 0
    assert count_rows(runtime, users, external_id=external_id.strip()) == 0


@ROUTES
@pytest.mark.parametrize("external_id", BLOCKED_BY_DEFAULT)
def test_a_default_placeholder_is_accepted_once_the_app_allows_it(
    api, tenant, runtime, route, external_id
):
    update_app(runtime, tenant.app_id, allowed_external_ids=[external_id])

    response = send_id(api, tenant, route, external_id)

    assert response.status_code == 200, response.text


@ROUTES
@pytest.mark.parametrize("external_id", ACCEPTED)
def test_an_id_that_only_contains_a_placeholder_is_accepted(api, tenant, route, external_id):
    response = send_id(api, tenant, route, external_id)

    assert response.status_code == 200, response.text


@ROUTES
def test_a_value_the_app_blocks_is_refused_in_any_case(api, tenant, runtime, route):
    update_app(runtime, tenant.app_id, blocked_external_ids=["QA-Shared-Account"])

    response = send_id(api, tenant, route, "  qa-shared-account ")

    assert response.status_code == 422
    assert response.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"


def test_a_value_one_app_blocks_is_still_accepted_by_another(api, tenant, runtime):
    update_app(runtime, tenant.app_id, blocked_external_ids=["qa-shared-account"])
    other = make_app(runtime).app
    other_key = make_key(runtime, other.id, scopes=("user.link",))

    response = ask_for_code(api, other_key, "qa-shared-account")

    assert response.status_code == 200, response.text


def test_a_code_issued_for_an_allowed_placeholder_creates_its_user(api, tenant, runtime):
    update_app(runtime, tenant.app_id, allowed_external_ids=["test"])

    answer = redeem(api, ask_for_code(api, tenant.link_key, "test").json()["authentication_code"])

    assert answer["restored"] is False
    assert count_rows(runtime, users, external_id="test") == 1


def test_unlisting_an_allowed_placeholder_refuses_it_again(api, tenant, runtime):
    update_app(runtime, tenant.app_id, allowed_external_ids=["test"])
    update_app(runtime, tenant.app_id, allowed_external_ids=[])

    response = ask_for_code(api, tenant.link_key, "test")

    assert response.status_code == 422
    assert response.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"
