"""The dashboard's webhooks page over HTTP: an endpoint added there shows its secret once and is
the API's endpoint; a refused URL is explained in place; test, disable, redeliver and delete act
on the endpoint; a viewer sees the endpoints and can change nothing."""

from __future__ import annotations

import re

import httpx

from userlink.accounts.rules import Role
from userlink.models import webhook_endpoints
from userlink.runtime import Runtime
from userlink_testing.dashboard import csrf_of, post_form, signed_in
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import count_rows
from userlink_testing.factories.webhooks import create_endpoint, messages

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{44}")


def hooks_path(app_id: object) -> str:
    return f"/dashboard/apps/{app_id}/webhooks"


def add_endpoint(browser: httpx.Client, app_id: object, url: str, **form: object) -> httpx.Response:
    token = csrf_of(browser.get(hooks_path(app_id)))
    return browser.post(hooks_path(app_id), data={"url": url, "csrf_token": token, **form})


def test_an_endpoint_added_in_the_dashboard_shows_its_secret_once(
    browser: httpx.Client, runtime: Runtime, api: httpx.Client
) -> None:
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    key = make_key(runtime, app.id, scopes=("webhooks.manage",))

    page = add_endpoint(browser, app.id, "https://example.com/hooks", event_types=["user.restored"])

    assert page.status_code == 200, page.text
    [secret] = SECRET.findall(page.text)
    listed = api.get("/v2/webhooks", headers=bearer(key)).json()["endpoints"]
    assert [(e["url"], e["event_types"]) for e in listed] == [
        ("https://example.com/hooks", ["user.restored"])
    ]
    later = browser.get(hooks_path(app.id))
    assert "https://example.com/hooks" in later.text
    assert secret not in later.text


def test_a_refused_url_is_explained_on_the_page(browser: httpx.Client, runtime: Runtime) -> None:
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app

    page = add_endpoint(browser, app.id, "http://10.0.0.1/hooks")

    assert page.status_code == 422
    assert "https://" in page.text
    assert 'value="http://10.0.0.1/hooks"' in page.text
    assert count_rows(runtime, webhook_endpoints) == 0


def test_test_disable_redeliver_and_delete_act_on_the_endpoint(
    browser: httpx.Client, runtime: Runtime, api: httpx.Client
) -> None:
    owner = signed_in(browser, runtime)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    key = make_key(runtime, app.id, scopes=("webhooks.manage",))
    endpoint = create_endpoint(api, key, "https://example.com/hooks")
    base = f"{hooks_path(app.id)}/{endpoint['id']}"

    tested = post_form(browser, f"{base}/test", {}, page=hooks_path(app.id))
    assert tested.headers["location"] == f"{hooks_path(app.id)}?notice=webhook-test"
    [message] = messages(api, key, endpoint["id"])
    assert message["event_type"] == "webhook.test"
    assert message["id"] in browser.get(hooks_path(app.id)).text

    post_form(browser, f"{base}/disable", {}, page=hooks_path(app.id))
    assert api.get(f"/v2/webhooks/{endpoint['id']}", headers=bearer(key)).json()["enabled"] is False

    pending = post_form(
        browser, f"{base}/messages/{message['id']}/redeliver", {}, page=hooks_path(app.id)
    )
    assert pending.status_code == 409

    deleted = post_form(browser, f"{base}/delete", {}, page=hooks_path(app.id))
    assert deleted.status_code == 303
    assert count_rows(runtime, webhook_endpoints) == 0


def test_a_viewer_sees_the_endpoints_and_cannot_change_them(
    browser: httpx.Client, runtime: Runtime, api: httpx.Client
) -> None:
    viewer = signed_in(browser, runtime, role=Role.VIEWER, totp=False)
    app = make_app(runtime, organisation_id=viewer.organisation_id).app
    key = make_key(runtime, app.id, scopes=("webhooks.manage",))
    endpoint = create_endpoint(api, key, "https://example.com/hooks")

    page = browser.get(hooks_path(app.id))
    forged = add_endpoint(browser, app.id, "https://example.com/other")
    forged_delete = post_form(
        browser, f"{hooks_path(app.id)}/{endpoint['id']}/delete", {}, page=hooks_path(app.id)
    )

    assert "https://example.com/hooks" in page.text
    assert 'data-testid="create-webhook"' not in page.text
    assert "/delete" not in page.text
    assert (forged.status_code, forged_delete.status_code) == (403, 403)
    assert count_rows(runtime, webhook_endpoints) == 1
