"""An app's placeholder lists on the dashboard: owners and developers change them in the app's
settings form, every role sees them on the app page, and the API follows at once."""

from __future__ import annotations

from userlink.accounts.rules import Role
from userlink.models import apps
from userlink_testing.dashboard import post_form, signed_in
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app, update_app
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import audit_rows, rows


def settings_form(**lists: str) -> dict[str, str]:
    return {"code_lifetime_seconds": "600", "is_remote_enabled": "on", **lists}


def test_the_settings_form_saves_both_lists_and_the_api_follows(browser, runtime, api):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    key = make_key(runtime, app.id, scopes=("user.link",))

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        settings_form(
            blocked_external_ids="QA-Shared\r\n\r\n  demo-user  ", allowed_external_ids="Test"
        ),
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 303
    [stored] = rows(runtime, apps, id=app.id)
    assert sorted(stored["blocked_external_ids"]) == ["demo-user", "qa-shared"]
    assert stored["allowed_external_ids"] == ["test"]
    [event] = audit_rows(runtime, "app.settings_changed")
    assert event["details"]["allowed_external_ids"] == ["test"]
    issued = [
        api.post("/users/auth-code", json={"external_id": value}, headers=bearer(key))
        for value in ("qa-shared", "test")
    ]
    assert [r.status_code for r in issued] == [422, 200]


def test_the_app_page_shows_the_lists_in_the_form(browser, runtime):
    owner = signed_in(browser, runtime, role=Role.DEVELOPER, totp=False)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    update_app(runtime, app.id, blocked_external_ids=["qa-1", "qa-2"], allowed_external_ids=["x"])

    page = browser.get(f"/dashboard/apps/{app.id}")

    assert 'name="blocked_external_ids"' in page.text
    assert ">qa-1\nqa-2</textarea>" in page.text
    assert ">x</textarea>" in page.text


def test_a_viewer_reads_the_lists_without_a_form(browser, runtime):
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app
    update_app(runtime, app.id, blocked_external_ids=["qa-1"])

    page = browser.get(f"/dashboard/apps/{app.id}")

    assert 'name="blocked_external_ids"' not in page.text
    assert '<dd data-testid="blocked-external-ids"><code>qa-1</code>' in page.text


def test_a_value_both_blocked_and_allowed_is_refused_and_nothing_changes(browser, runtime):
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    answer = post_form(
        browser,
        f"/dashboard/apps/{app.id}/settings",
        settings_form(blocked_external_ids="test", allowed_external_ids="TEST"),
        page=f"/dashboard/apps/{app.id}",
    )

    assert answer.status_code == 422
    assert "none both blocked and allowed" in answer.text
    assert rows(runtime, apps, id=app.id)[0]["blocked_external_ids"] == []
    assert audit_rows(runtime, "app.settings_changed") == []
