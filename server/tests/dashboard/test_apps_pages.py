"""The dashboard's apps pages over HTTP, as a browser without scripts would use them: the home
page, creating an app, its settings and the rotation of its secret (shown once, the previous one
working for the overlap chosen)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from userlink.accounts.rules import Role
from userlink.models import apps
from userlink_testing.dashboard import csrf_of, post_form, signed_in
from userlink_testing.factories.accounts import make_organisation
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import basic, new_nonce, phone
from userlink_testing.factories.records import audit_rows, rows

if TYPE_CHECKING:
    # Imported by name, pytest would try to collect it as a test class.
    pass

APP_SECRET = re.compile(r"\buls_[0-9A-Za-z]{46}\b")


def legacy_init(api: httpx.Client, app_id: object, secret: str) -> httpx.Response:
    """The legacy SDK init: an install registered with the app id and the app secret."""
    return api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": phone(), "app": {}},
        headers=basic(app_id, secret),
    )


def shown_secret(page: httpx.Response) -> str:
    found = APP_SECRET.findall(page.text)
    assert len(found) == 1, page.text
    return str(found[0])


def test_home_lists_each_organisations_apps_with_settings_and_active_key_count(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, name="Shop app", organisation_id=owner.organisation_id).app
    make_key(runtime, app.id)
    make_key(runtime, app.id, scopes=("user.read",))

    page = browser.get("/dashboard/")

    assert page.status_code == 200
    assert "Shop app" in page.text
    assert str(app.id) in page.text
    assert "codes live 600 s" in page.text
    assert f'href="/dashboard/apps/{app.id}/keys">2</a>' in page.text


def test_home_shows_no_app_of_another_organisation(browser, runtime):
    signed_in(browser, runtime)
    make_app(runtime, name="Someone else's app", organisation_id=make_organisation(runtime))

    page = browser.get("/dashboard/")

    assert "Someone else&#39;s app" not in page.text
    assert "Someone else's app" not in page.text


def test_owner_sees_the_new_app_button(browser, runtime):
    signed_in(browser, runtime)

    page = browser.get("/dashboard/")

    assert 'data-testid="new-app"' in page.text


def test_viewer_sees_no_new_app_button(browser, runtime):
    signed_in(browser, runtime, role=Role.VIEWER, totp=False)

    page = browser.get("/dashboard/")

    assert page.status_code == 200
    assert 'data-testid="new-app"' not in page.text


def test_operator_sees_a_link_to_the_operator_pages(browser, runtime):
    signed_in(browser, runtime, operator=True)

    page = browser.get("/dashboard/")

    assert 'href="/dashboard/admin"' in page.text


def test_home_without_a_session_sends_to_the_login(browser):
    answer = browser.get("/dashboard/")

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dashboard/login")


def test_owner_creates_an_app_whose_secret_is_shown_once_and_opens_legacy_inits(
    browser, runtime, api
):
    owner = signed_in(browser, runtime)
    form = f"/dashboard/orgs/{owner.organisation_id}/apps/new"

    page = post_form(
        browser, form, {"name": "Shop app", "code_lifetime_seconds": "120", "linking_enabled": "on"}
    )

    assert page.status_code == 200, page.text
    secret = shown_secret(page)
    [stored] = rows(runtime, apps, name="Shop app")
    assert stored["organisation_id"] == owner.organisation_id
    assert stored["code_lifetime_seconds"] == 120
    assert legacy_init(api, stored["id"], secret).status_code == 201
    assert secret not in browser.get(f"/dashboard/apps/{stored['id']}").text
    assert secret not in browser.get("/dashboard/").text
    [event] = audit_rows(runtime, "app.created")
    assert event["actor"] == f"account:{owner.id}"


def test_app_without_a_name_is_refused_on_the_form(browser, runtime):
    owner = signed_in(browser, runtime)

    page = post_form(browser, f"/dashboard/orgs/{owner.organisation_id}/apps/new", {"name": " "})

    assert page.status_code == 422
    assert "needs a name" in page.text
    assert rows(runtime, apps) == []


def test_developer_cannot_create_an_app_even_with_a_forged_form(browser, runtime):
    developer = signed_in(browser, runtime, role=Role.DEVELOPER, totp=False)
    token = csrf_of(browser.get("/dashboard/"))

    answer = browser.post(
        f"/dashboard/orgs/{developer.organisation_id}/apps/new",
        data={"name": "Forged", "csrf_token": token},
    )

    assert answer.status_code == 403
    assert rows(runtime, apps) == []


def test_new_app_in_an_organisation_of_others_is_not_found(browser, runtime):
    signed_in(browser, runtime)

    answer = browser.get(f"/dashboard/orgs/{make_organisation(runtime)}/apps/new")

    assert answer.status_code == 404


def test_app_page_shows_the_settings_form_and_links_to_keys_and_users(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, name="Shop app", organisation_id=owner.organisation_id).app

    page = browser.get(f"/dashboard/apps/{app.id}")

    assert page.status_code == 200
    assert f'action="/dashboard/apps/{app.id}/settings"' in page.text
    assert f'action="/dashboard/apps/{app.id}/secret"' in page.text
    assert f'href="/dashboard/apps/{app.id}/keys"' in page.text
    assert f'href="/dashboard/apps/{app.id}/users"' in page.text


def test_app_of_another_organisation_is_not_found(browser, runtime):
    signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=make_organisation(runtime)).app

    assert browser.get(f"/dashboard/apps/{app.id}").status_code == 404


def test_malformed_app_id_is_not_found(browser, runtime):
    signed_in(browser, runtime)

    assert browser.get("/dashboard/apps/not-an-id").status_code == 404


def test_settings_change_is_saved_and_audited_with_the_account(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "30", "is_remote_enabled": "on"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dashboard/apps/{app.id}?notice=settings-saved"
    [stored] = rows(runtime, apps, id=app.id)
    assert stored["code_lifetime_seconds"] == 30
    assert stored["linking_enabled"] is False
    assert stored["is_remote_enabled"] is True
    [event] = audit_rows(runtime, "app.settings_changed")
    assert event["actor"] == f"account:{owner.id}"
    assert event["details"] == {"code_lifetime_seconds": 30, "linking_enabled": False}


def test_code_lifetime_out_of_range_is_refused_and_nothing_changes(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "601", "is_remote_enabled": "on"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 422
    assert "between 10 and 600 seconds" in answer.text
    assert rows(runtime, apps, id=app.id)[0]["code_lifetime_seconds"] == 600
    assert audit_rows(runtime, "app.settings_changed") == []


def test_undo_window_is_set_in_hours_from_the_settings_form(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    assert 'name="undo_window_hours"' in browser.get(f"/dashboard/apps/{app.id}").text

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "600", "is_remote_enabled": "on", "undo_window_hours": "48"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 303
    assert rows(runtime, apps, id=app.id)[0]["undo_window_seconds"] == 48 * 3600


def test_undo_window_out_of_range_is_refused_and_nothing_changes(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "600", "is_remote_enabled": "on", "undo_window_hours": "0"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 422
    assert "undo window must be between" in answer.text
    assert rows(runtime, apps, id=app.id)[0]["undo_window_seconds"] == 7 * 24 * 3600


def test_viewer_reads_the_settings_without_a_form(browser, runtime):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app

    page = browser.get(f"/dashboard/apps/{app.id}")

    assert page.status_code == 200
    assert f'action="/dashboard/apps/{app.id}/settings"' not in page.text
    assert f'action="/dashboard/apps/{app.id}/secret"' not in page.text
    assert "Your role can read these settings" in page.text


def test_forged_settings_form_of_a_viewer_is_refused(browser, runtime):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "30"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 403
    assert rows(runtime, apps, id=app.id)[0]["is_remote_enabled"] is True


def test_settings_form_without_its_csrf_token_is_refused(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = browser.post(
        f"/dashboard/apps/{app.id}/settings", data={"code_lifetime_seconds": "30"}
    )

    assert answer.status_code == 403
    assert 'data-error-code="CSRF_TOKEN_INVALID"' in answer.text
    assert rows(runtime, apps, id=app.id)[0]["code_lifetime_seconds"] == 600


def test_rotated_secret_is_shown_once_and_the_previous_one_works_for_the_overlap(
    browser, runtime, api, live
):
    owner = signed_in(browser, runtime)
    created = make_app(runtime, organisation_id=owner.organisation_id)
    app_id = created.app.id

    page = post_form(
        browser,
        f"/dashboard/apps/{app_id}/secret",
        {"overlap_hours": "1"},
        page=f"/dashboard/apps/{app_id}",
    )

    assert page.status_code == 200, page.text
    new_secret = shown_secret(page)
    assert new_secret != created.secret
    assert legacy_init(api, app_id, created.secret).status_code == 201
    assert legacy_init(api, app_id, new_secret).status_code == 201
    assert new_secret not in browser.get(f"/dashboard/apps/{app_id}").text
    [event] = audit_rows(runtime, "app.secret_rotated")
    assert event["actor"] == f"account:{owner.id}"
    assert event["details"] == {"overlap_seconds": 3600}

    live.clock.advance(hours=1, seconds=1)

    refused = legacy_init(api, app_id, created.secret)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "INVALID_APP_CREDENTIALS"
    assert legacy_init(api, app_id, new_secret).status_code == 201


def test_rotation_without_overlap_stops_the_previous_secret_at_once(browser, runtime, api):
    owner = signed_in(browser, runtime)
    created = make_app(runtime, organisation_id=owner.organisation_id)

    page = post_form(
        browser,
        f"/dashboard/apps/{created.app.id}/secret",
        {"overlap_hours": "0"},
        page=f"/dashboard/apps/{created.app.id}",
    )

    assert legacy_init(api, created.app.id, created.secret).status_code == 401
    assert legacy_init(api, created.app.id, shown_secret(page)).status_code == 201


def test_overlap_longer_than_a_week_is_refused(browser, runtime, api):
    owner = signed_in(browser, runtime)
    created = make_app(runtime, organisation_id=owner.organisation_id)

    answer = post_form(
        browser,
        f"/dashboard/apps/{created.app.id}/secret",
        {"overlap_hours": "169"},
        page=f"/dashboard/apps/{created.app.id}",
    )

    assert answer.status_code == 422
    assert APP_SECRET.findall(answer.text) == []
    assert legacy_init(api, created.app.id, created.secret).status_code == 201


def test_forged_secret_rotation_of_a_viewer_is_refused(browser, runtime, api):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    created = make_app(runtime, organisation_id=viewer.organisation_id)

    answer = post_form(
        browser,
        f"/dashboard/apps/{created.app.id}/secret",
        {"overlap_hours": "0"},
        page=f"/dashboard/apps/{created.app.id}",
    )

    assert answer.status_code == 403
    assert APP_SECRET.findall(answer.text) == []
    assert legacy_init(api, created.app.id, created.secret).status_code == 201


def test_pkce_policy_is_shown_and_saved_from_the_settings_form(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    page = browser.get(f"/dashboard/apps/{app.id}")
    assert '<option value="optional" selected>' in page.text

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "600", "is_remote_enabled": "on", "pkce_policy": "required"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 303
    assert rows(runtime, apps, id=app.id)[0]["pkce_policy"] == "required"
    assert '<option value="required" selected>' in browser.get(f"/dashboard/apps/{app.id}").text


def test_an_unknown_pkce_policy_is_refused_and_nothing_changes(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        {"code_lifetime_seconds": "600", "is_remote_enabled": "on", "pkce_policy": "plain"},
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 422
    assert "off, optional or required" in answer.text
    assert rows(runtime, apps, id=app.id)[0]["pkce_policy"] == "optional"
