"""The dashboard's API keys page over HTTP: a key made there is shown once and works on the API at
once, revoking it is refused by the API at once, rolling it overlaps the old key with the new,
the active-key limit is explained in place, and a viewer can change nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx
import pytest

from userlink.accounts.rules import Role
from userlink.models import api_keys
from userlink_testing.dashboard import csrf_of, post_form, signed_in
from userlink_testing.factories.api_keys import key_by_token, make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import audit_rows, count_rows, rows

if TYPE_CHECKING:
    # Imported by name, pytest would try to collect it as a test class.
    pass

API_KEY = re.compile(r"\bulk_[0-9A-Za-z]{46}\b")


def keys_path(app_id: object) -> str:
    return f"/dashboard/apps/{app_id}/keys"


def create_key(
    browser: httpx.Client,
    app_id: object,
    *,
    name: str = "production backend",
    scopes: tuple[str, ...] = ("user.link",),
    days: str = "30",
) -> httpx.Response:
    token = csrf_of(browser.get(keys_path(app_id)))
    form = {"name": name, "scopes": list(scopes), "expires_in_days": days, "csrf_token": token}
    return browser.post(keys_path(app_id), data=form)


def shown_key(page: httpx.Response) -> str:
    found = API_KEY.findall(page.text)
    assert len(found) == 1, page.text
    return str(found[0])


def ask_for_code(api: httpx.Client, key: str) -> httpx.Response:
    return api.post("/users/auth-code", json={"external_id": "alice"}, headers=bearer(key))


def test_key_made_in_the_dashboard_works_is_never_shown_again_and_is_refused_once_revoked(
    browser, runtime, api
):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    page = create_key(browser, app.id)

    assert page.status_code == 200, page.text
    key = shown_key(page)
    assert 'data-copy="api-key"' in page.text
    assert ask_for_code(api, key).status_code == 200
    for later in (keys_path(app.id), f"/dashboard/apps/{app.id}", "/dashboard/"):
        assert key not in browser.get(later).text
    stored = key_by_token(runtime, app.id, key)

    revoked = post_form(
        browser, f"{keys_path(app.id)}/{stored.id}/revoke", {}, page=keys_path(app.id)
    )

    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{keys_path(app.id)}?notice=key-revoked"
    refused = ask_for_code(api, key)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "API_KEY_REVOKED"
    assert key not in browser.get(keys_path(app.id)).text
    [event] = audit_rows(runtime, "api_key.revoked")
    assert event["actor"] == f"account:{owner.id}"


def test_key_list_shows_name_hint_scopes_creator_and_state(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    key = shown_key(
        create_key(browser, app.id, name="billing", scopes=("user.read", "user.delete"))
    )
    make_key(runtime, app.id, name="from the cli")

    page = browser.get(keys_path(app.id))

    assert page.status_code == 200
    assert "billing" in page.text
    assert key_by_token(runtime, app.id, key).hint in page.text
    assert "<code>user.delete</code> <code>user.read</code>" in page.text
    assert f"<td>{owner.email}</td>" in page.text
    assert "<td>CLI</td>" in page.text
    assert 'class="badge active">active' in page.text
    assert "<td>never</td>" in page.text


def test_key_records_the_account_that_made_it(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    key = shown_key(create_key(browser, app.id))

    assert key_by_token(runtime, app.id, key).created_by == f"account:{owner.id}"
    [event] = audit_rows(runtime, "api_key.created")
    assert event["actor"] == f"account:{owner.id}"


def test_key_lives_the_days_chosen(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    stored = key_by_token(runtime, app.id, shown_key(create_key(browser, app.id, days="7")))

    assert (stored.expires_at - stored.created_at).days == 7


@pytest.mark.parametrize(
    ("scopes", "days", "message"),
    [
        pytest.param((), "30", "Scopes must be one or more", id="no-scope"),
        pytest.param(("user.superuser",), "30", "Scopes must be one or more", id="unknown-scope"),
        pytest.param(("user.link",), "0", "between 1 and 365 days", id="zero-days"),
        pytest.param(("user.link",), "366", "between 1 and 365 days", id="too-many-days"),
        pytest.param(("user.link",), "soon", "between 1 and 365 days", id="not-a-number"),
    ],
)
def test_bad_key_form_is_refused_in_place_and_makes_no_key(browser, runtime, scopes, days, message):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    page = create_key(browser, app.id, scopes=scopes, days=days)

    assert page.status_code == 422
    assert message in page.text
    assert API_KEY.findall(page.text) == []
    assert count_rows(runtime, api_keys) == 0


def test_viewer_sees_the_keys_without_create_revoke_or_roll(browser, runtime):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app
    make_key(runtime, app.id, name="existing")

    page = browser.get(keys_path(app.id))

    assert page.status_code == 200
    assert "existing" in page.text
    assert 'data-testid="create-key"' not in page.text
    assert "/revoke" not in page.text
    assert "/roll" not in page.text


def test_forged_key_creation_of_a_viewer_is_refused(browser, runtime):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app

    answer = create_key(browser, app.id)

    assert answer.status_code == 403
    assert 'data-error-code="DASHBOARD_FORBIDDEN"' in answer.text
    assert count_rows(runtime, api_keys) == 0


def test_forged_revoke_and_roll_of_a_viewer_are_refused(browser, runtime, api):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app
    key = make_key(runtime, app.id)
    key_id = key_by_token(runtime, app.id, key).id

    revoke = post_form(browser, f"{keys_path(app.id)}/{key_id}/revoke", {}, page=keys_path(app.id))
    roll = post_form(
        browser,
        f"{keys_path(app.id)}/{key_id}/roll",
        {"overlap_hours": "0"},
        page=keys_path(app.id),
    )

    assert revoke.status_code == 403
    assert roll.status_code == 403
    assert API_KEY.findall(roll.text) == []
    assert count_rows(runtime, api_keys) == 1
    assert ask_for_code(api, key).status_code == 200


def test_key_form_without_its_csrf_token_is_refused(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = browser.post(
        keys_path(app.id),
        data={"name": "no token", "scopes": ["user.link"], "expires_in_days": "30"},
    )

    assert answer.status_code == 403
    assert 'data-error-code="CSRF_TOKEN_INVALID"' in answer.text
    assert count_rows(runtime, api_keys) == 0


def test_keys_of_another_organisations_app_are_not_found(browser, runtime):
    signed_in(browser, runtime)
    app = make_app(runtime).app

    assert browser.get(keys_path(app.id)).status_code == 404
    assert create_key_without_page(browser, app.id).status_code == 404


def create_key_without_page(browser: httpx.Client, app_id: object) -> httpx.Response:
    """A creation aimed at an app whose keys page the account cannot open."""
    token = csrf_of(browser.get("/dashboard/"))
    form = {"name": "x", "scopes": ["user.link"], "expires_in_days": "30", "csrf_token": token}
    return browser.post(keys_path(app_id), data=form)


def test_rolled_key_is_replaced_by_a_new_one_and_works_until_the_overlap_ends(
    browser, runtime, api, live
):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    old_key = make_key(runtime, app.id, name="backend", scopes=("user.link", "user.read"))
    old = key_by_token(runtime, app.id, old_key)

    page = post_form(
        browser,
        f"{keys_path(app.id)}/{old.id}/roll",
        {"overlap_hours": "24"},
        page=keys_path(app.id),
    )

    assert page.status_code == 200, page.text
    new_key = shown_key(page)
    replacement = key_by_token(runtime, app.id, new_key)
    assert replacement.name == "backend"
    assert replacement.scopes == old.scopes
    assert replacement.created_by == f"account:{owner.id}"
    assert ask_for_code(api, old_key).status_code == 200
    assert ask_for_code(api, new_key).status_code == 200
    assert new_key not in browser.get(keys_path(app.id)).text
    [event] = audit_rows(runtime, "api_key.rolled")
    assert event["actor"] == f"account:{owner.id}"
    assert event["details"]["key_id"] == str(old.id)
    assert event["details"]["replacement_key_id"] == str(replacement.id)

    live.clock.advance(hours=24, seconds=1)

    refused = ask_for_code(api, old_key)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "API_KEY_EXPIRED"
    assert ask_for_code(api, new_key).status_code == 200


def test_roll_without_overlap_stops_the_old_key_at_once(browser, runtime, api):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    old_key = make_key(runtime, app.id)
    # Used once, so the process holds the key in its short credential cache.
    assert ask_for_code(api, old_key).status_code == 200
    old_id = key_by_token(runtime, app.id, old_key).id

    page = post_form(
        browser,
        f"{keys_path(app.id)}/{old_id}/roll",
        {"overlap_hours": "0"},
        page=keys_path(app.id),
    )

    assert ask_for_code(api, old_key).json()["errorCode"] == "API_KEY_EXPIRED"
    assert ask_for_code(api, shown_key(page)).status_code == 200


def test_revoked_key_cannot_be_rolled(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    key_id = key_by_token(runtime, app.id, make_key(runtime, app.id)).id
    post_form(browser, f"{keys_path(app.id)}/{key_id}/revoke", {}, page=keys_path(app.id))

    answer = post_form(
        browser,
        f"{keys_path(app.id)}/{key_id}/roll",
        {"overlap_hours": "0"},
        page=keys_path(app.id),
    )

    assert answer.status_code == 409
    assert "Only an active key can be rolled" in answer.text
    assert count_rows(runtime, api_keys) == 1


def test_full_app_explains_the_limit_instead_of_the_create_form(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    for number in range(10):
        make_key(runtime, app.id, name=f"key {number}")

    page = browser.get(keys_path(app.id))

    assert 'data-testid="key-limit"' in page.text
    assert "at most 10" in page.text
    assert "max_active_api_keys_per_app" in page.text
    assert f'action="{keys_path(app.id)}"' not in page.text


def test_forged_creation_beyond_the_limit_is_refused_with_the_explanation(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    for number in range(10):
        make_key(runtime, app.id, name=f"key {number}")

    answer = create_key(browser, app.id)

    assert answer.status_code == 409
    assert "at most 10 active API keys" in answer.text
    assert count_rows(runtime, api_keys) == 10


def test_full_app_can_still_roll_a_key(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    tokens = [make_key(runtime, app.id, name=f"key {number}") for number in range(10)]
    key_id = key_by_token(runtime, app.id, tokens[0]).id

    page = post_form(
        browser,
        f"{keys_path(app.id)}/{key_id}/roll",
        {"overlap_hours": "1"},
        page=keys_path(app.id),
    )

    assert page.status_code == 200, page.text
    assert len(rows(runtime, api_keys)) == 11
