"""Managing webhook endpoints through /v2/webhooks: what is answered, and every refusal with its
status and errorCode."""

from __future__ import annotations

import uuid

import httpx
import pytest

from conftest import Tenant
from userlink.runtime import Runtime
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.webhooks import create_endpoint


@pytest.fixture
def hooks_key(runtime: Runtime, tenant: Tenant) -> str:
    return make_key(runtime, tenant.app_id, scopes=("webhooks.manage",))


def test_an_endpoint_is_created_with_its_secret_shown_once(
    api: httpx.Client, hooks_key: str
) -> None:
    created = create_endpoint(
        api, hooks_key, "https://example.com/hooks", event_types=["user.restored"]
    )

    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["event_types"], created["enabled"]) == (
        "https://example.com/hooks",
        ["user.restored"],
        True,
    )
    listed = api.get("/v2/webhooks", headers=bearer(hooks_key)).json()["endpoints"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    got = api.get(f"/v2/webhooks/{created['id']}", headers=bearer(hooks_key)).json()
    assert "secret" not in got


def test_an_endpoint_is_updated_and_deleted(api: httpx.Client, hooks_key: str) -> None:
    created = create_endpoint(api, hooks_key, "https://example.com/a", event_types=["user.linked"])

    changed = api.patch(
        f"/v2/webhooks/{created['id']}",
        json={"url": "https://example.com/b", "event_types": None, "enabled": False},
        headers=bearer(hooks_key),
    )
    assert changed.status_code == 200
    assert (changed.json()["url"], changed.json()["event_types"], changed.json()["enabled"]) == (
        "https://example.com/b",
        None,
        False,
    )
    kept = api.patch(
        f"/v2/webhooks/{created['id']}", json={"description": "ops"}, headers=bearer(hooks_key)
    )
    assert (kept.json()["description"], kept.json()["event_types"]) == ("ops", None)
    deleted = api.delete(f"/v2/webhooks/{created['id']}", headers=bearer(hooks_key))
    assert deleted.status_code == 204
    gone = api.get(f"/v2/webhooks/{created['id']}", headers=bearer(hooks_key))
    assert (gone.status_code, gone.json()["errorCode"]) == (404, "WEBHOOK_ENDPOINT_NOT_FOUND")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",
        "https://localhost/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest",
        "https://[::1]/hooks",
        "https://user:pw@example.com/",
        "ftp://example.com/",
        "not a url",
        "https://example.com:99999/",
        "",
    ],
)
def test_outside_development_an_unsafe_url_is_refused(
    api: httpx.Client, hooks_key: str, url: str
) -> None:
    response = api.post("/v2/webhooks", json={"url": url}, headers=bearer(hooks_key))

    assert (response.status_code, response.json()["errorCode"]) == (422, "INVALID_WEBHOOK_URL")


@pytest.mark.parametrize("types", [[], ["no.such_event"], ["user.restored", "nope"]])
def test_unknown_or_no_event_types_are_refused(
    api: httpx.Client, hooks_key: str, types: list[str]
) -> None:
    response = api.post(
        "/v2/webhooks",
        json={"url": "https://example.com/", "event_types": types},
        headers=bearer(hooks_key),
    )

    assert (response.status_code, response.json()["errorCode"]) == (422, "INVALID_EVENT_TYPES")


def test_a_malformed_body_is_refused(api: httpx.Client, hooks_key: str) -> None:
    response = api.post("/v2/webhooks", json={"url": 5}, headers=bearer(hooks_key))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"


def test_a_key_without_the_scope_is_refused(api: httpx.Client, tenant: Tenant) -> None:
    response = api.get("/v2/webhooks", headers=bearer(tenant.read_key))

    assert (response.status_code, response.json()["errorCode"]) == (403, "INSUFFICIENT_SCOPE")


def test_another_apps_endpoint_is_not_found(
    api: httpx.Client, runtime: Runtime, hooks_key: str
) -> None:
    other_app = make_app(runtime).app.id
    other_key = make_key(runtime, other_app, scopes=("webhooks.manage",))
    theirs = create_endpoint(api, other_key, "https://example.com/theirs")

    for method, path in [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/messages"),
        ("POST", "/test"),
    ]:
        response = api.request(
            method, f"/v2/webhooks/{theirs['id']}{path}", headers=bearer(hooks_key)
        )
        assert (response.status_code, response.json()["errorCode"]) == (
            404,
            "WEBHOOK_ENDPOINT_NOT_FOUND",
        )


@pytest.mark.parametrize("endpoint_id", ["nope", str(uuid.uuid4())])
def test_an_unknown_endpoint_id_is_not_found(
    api: httpx.Client, hooks_key: str, endpoint_id: str
) -> None:
    response = api.patch(
        f"/v2/webhooks/{endpoint_id}", json={"enabled": True}, headers=bearer(hooks_key)
    )

    assert (response.status_code, response.json()["errorCode"]) == (
        404,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    )


def test_an_unknown_message_is_not_found(api: httpx.Client, hooks_key: str) -> None:
    created = create_endpoint(api, hooks_key, "https://example.com/")

    response = api.post(
        f"/v2/webhooks/{created['id']}/messages/msg_nope/redeliver", headers=bearer(hooks_key)
    )

    assert (response.status_code, response.json()["errorCode"]) == (
        404,
        "WEBHOOK_MESSAGE_NOT_FOUND",
    )


@pytest.mark.parametrize("hours", [-1, 169, 10**30])
def test_a_rotation_overlap_beyond_7_days_is_refused(
    api: httpx.Client, hooks_key: str, hours: int
) -> None:
    created = create_endpoint(api, hooks_key, "https://example.com/")

    response = api.post(
        f"/v2/webhooks/{created['id']}/rotate-secret",
        json={"overlap_hours": hours},
        headers=bearer(hooks_key),
    )

    assert (response.status_code, response.json()["errorCode"]) == (
        422,
        "INVALID_SECRET_OVERLAP",
    )


def test_an_app_has_at_most_20_endpoints(api: httpx.Client, hooks_key: str) -> None:
    for number in range(20):
        create_endpoint(api, hooks_key, f"https://example.com/{number}")

    response = api.post(
        "/v2/webhooks", json={"url": "https://example.com/21"}, headers=bearer(hooks_key)
    )

    assert (response.status_code, response.json()["errorCode"]) == (
        409,
        "TOO_MANY_WEBHOOK_ENDPOINTS",
    )


def test_messages_are_listed_in_pages_newest_first(api: httpx.Client, hooks_key: str) -> None:
    created = create_endpoint(api, hooks_key, "https://example.com/")
    sent = [
        api.post(f"/v2/webhooks/{created['id']}/test", headers=bearer(hooks_key)).json()["id"]
        for _ in range(3)
    ]

    first = api.get(
        f"/v2/webhooks/{created['id']}/messages", params={"limit": 2}, headers=bearer(hooks_key)
    ).json()
    rest = api.get(
        f"/v2/webhooks/{created['id']}/messages",
        params={"limit": 2, "before": first["next_before"]},
        headers=bearer(hooks_key),
    ).json()

    assert [m["id"] for m in first["messages"] + rest["messages"]] == sent[::-1]
    assert rest["next_before"] is None
