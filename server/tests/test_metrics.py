"""`/metrics` in the Prometheus text format, read after real requests to a real server (on each
backend): requests by route template and status, identity events, refusals, payloads, the pool."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from userlink.http.app import create_app
from userlink_testing import live as live_servers
from userlink_testing.factories.devices import bearer, issue_code, payload, redeem, redeem_body
from userlink_testing.live import get_in_process


def samples(api: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = api.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_a_request_is_counted_by_route_template_and_status_with_its_latency(api, tenant):
    before = samples(api)

    issue_code(api, tenant.link_key, "alice")
    after = samples(api)

    route = {"method": "POST", "route": "/users/auth-code", "status": "200"}
    count = "userlink_http_request_duration_seconds_count"
    assert value(after, count, **route) == value(before, count, **route) + 1
    assert value(after, "userlink_http_request_duration_seconds_sum", **route) > value(
        before, "userlink_http_request_duration_seconds_sum", **route
    )
    infinite = {**route, "le": "+Inf"}
    assert value(after, "userlink_http_request_duration_seconds_bucket", **infinite) == value(
        after, count, **route
    )


def test_a_path_with_an_id_is_counted_under_its_template(api, tenant):
    user = redeem(api, issue_code(api, tenant.link_key, "alice"))

    api.get(f"/v2/users/{user['user_id']}", headers=bearer(tenant.read_key))
    found = samples(api)

    labels = {"method": "GET", "route": "/v2/users/{user_id}", "status": "200"}
    assert value(found, "userlink_http_request_duration_seconds_count", **labels) >= 1
    assert not any(user["user_id"] in dict(labels_).get("route", "") for _, labels_ in found)


def test_unknown_paths_share_one_label(api):
    api.get("/no/such/path/1")
    api.get("/no/such/path/2")
    found = samples(api)

    labels = {"method": "GET", "route": "(unmatched)", "status": "404"}
    assert value(found, "userlink_http_request_duration_seconds_count", **labels) >= 2


def test_codes_issued_and_redeemed_and_restores_are_counted_from_identity_events(api, tenant):
    before = samples(api)

    redeem(api, issue_code(api, tenant.link_key, "alice"))
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    after = samples(api)

    def delta(event: str) -> float:
        name = "userlink_identity_events_total"
        return value(after, name, event=event) - value(before, name, event=event)

    assert delta("auth_code.issued") == 2
    assert delta("auth_code.redeemed") == 2
    assert delta("user.created") == 1
    assert delta("user.restored") == 1
    assert delta("install.deactivated") == 1


def test_a_refused_code_is_counted_by_its_error_code(api, tenant):
    code = issue_code(api, tenant.link_key, "alice")
    redeem(api, code)
    before = samples(api)

    replay = api.post("/sdk/v1/users", json=redeem_body(code))
    unknown = api.post("/sdk/v1/users", json=redeem_body("not-a-code"))
    after = samples(api)

    assert replay.status_code == 409
    assert unknown.status_code == 401
    name = "userlink_refusals_total"
    for error_code in ("AUTH_CODE_ALREADY_USED", "AUTH_CODE_INVALID"):
        labels = {"route": "/sdk/v1/users", "error_code": error_code}
        assert value(after, name, **labels) == value(before, name, **labels) + 1
    replays = ("userlink_identity_events_total", frozenset({("event", "auth_code.replay_refused")}))
    assert after[replays] == before.get(replays, 0) + 1


def test_payloads_are_counted_by_outcome(api, tenant):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    before = samples(api)

    batch = {"payloads": [payload("p1"), payload("p2")]}
    headers = bearer(device["credentials"]["access_token"])
    assert api.post("/sdk/v1/payloads", json=batch, headers=headers).status_code == 200
    assert api.post("/sdk/v1/payloads", json=batch, headers=headers).status_code == 200
    after = samples(api)

    name = "userlink_payloads_total"
    assert value(after, name, status="processed") == value(before, name, status="processed") + 2
    assert value(after, name, status="duplicate") == value(before, name, status="duplicate") + 2


def test_the_pool_is_described(api):
    found = samples(api)

    assert value(found, "userlink_database_pool_size") >= 1
    # The scrape itself holds no connection; other requests have given theirs back.
    assert value(found, "userlink_database_connections_in_use") == 0


def test_rate_limit_refusals_are_counted_by_bucket(limited_server, tenant):
    server = limited_server(rate_limit_redemption="2/minute")
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            client.post("/sdk/v1/users", json=redeem_body("not-a-code"))
        found = samples(client)

    assert value(found, "userlink_rate_limit_refusals_total", bucket="auth_code") == 1
    labels = {"route": "/sdk/v1/users", "error_code": "RATE_LIMITED"}
    assert value(found, "userlink_refusals_total", **labels) == 1


def test_metrics_refuse_a_request_that_came_through_a_proxy(api):
    answer = api.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})

    assert answer.status_code == 403
    assert answer.json()["errorCode"] == "METRICS_NOT_ALLOWED"


def test_with_a_token_metrics_answer_only_the_bearer_of_it(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    app = create_app(live_servers.test_settings(url, metrics_token="scrape-token-123456"))

    async def get(headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://in") as client:
            return await client.get("/metrics", headers=headers)

    assert asyncio.run(get({})).status_code == 403
    assert asyncio.run(get(bearer("wrong-token"))).status_code == 403
    assert asyncio.run(get(bearer("scrape-token-123456"))).status_code == 200
    assert asyncio.run(get_in_process(app, "/health/live")).status_code == 200
