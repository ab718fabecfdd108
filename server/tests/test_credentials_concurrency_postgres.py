"""One live chain of SDK credentials per install under real concurrency (DESIGN §2.1): a refresh
token or a redemption retried by many requests at once, released together against one server and
one PostgreSQL, leaves exactly one live refresh token, and only that one rotates again.

SQLite serialises every write transaction, so these only mean something on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from userlink.kit.clock import as_utc
from userlink.models import sdk_tokens
from userlink.runtime import Runtime
from userlink_testing.factories.devices import issue_code, new_nonce, redeem, redeem_body
from userlink_testing.factories.records import rows

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip(
            "these invariants are tested with real concurrent clients on PostgreSQL; "
            "SQLite takes one writer at a time"
        )


def all_at_once(base_url: str, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST each body from its own thread and its own client, all released by one barrier."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def live_refresh_tokens(runtime: Runtime, install_id: str) -> list[Any]:
    now = runtime.clock.now()
    return [
        row
        for row in rows(runtime, sdk_tokens, install_id=uuid.UUID(install_id), kind="refresh")
        if row["revoked_at"] is None and as_utc(row["expires_at"]) > now
    ]


def rotation_outcomes(api: httpx.Client, refresh_tokens: list[str]) -> Counter[int]:
    """Each returned refresh token presented once more, one after another."""
    return Counter(
        api.post("/sdk/v1/token", json={"refresh_token": token}).status_code
        for token in refresh_tokens
    )


def test_ten_simultaneous_refreshes_of_one_token_leave_one_live_refresh_token(
    api, tenant, live, runtime
):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["refresh_token"]

    responses = all_at_once(live.url, "/sdk/v1/token", [{"refresh_token": token}] * 10)

    assert {r.status_code for r in responses} == {200}
    assert len(live_refresh_tokens(runtime, device["install_id"])) == 1


def test_ten_simultaneous_refreshes_of_one_token_leave_one_returned_token_that_rotates(
    api, tenant, live
):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    token = device["credentials"]["refresh_token"]
    responses = all_at_once(live.url, "/sdk/v1/token", [{"refresh_token": token}] * 10)

    returned = [r.json()["credentials"]["refresh_token"] for r in responses]

    assert rotation_outcomes(api, returned) == {200: 1, 401: 9}


def test_twenty_simultaneous_redemption_retries_leave_one_live_refresh_token(
    api, tenant, live, runtime
):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    first = redeem(api, code, nonce=nonce)

    responses = all_at_once(
        live.url, "/sdk/v1/users", [redeem_body(code, nonce=nonce) for _ in range(20)]
    )

    assert {r.status_code for r in responses} == {200}
    assert {r.json()["install_id"] for r in responses} == {first["install_id"]}
    assert len(live_refresh_tokens(runtime, first["install_id"])) == 1


def test_twenty_simultaneous_redemption_retries_leave_one_returned_token_that_rotates(
    api, tenant, live
):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    redeem(api, code, nonce=nonce)
    responses = all_at_once(
        live.url, "/sdk/v1/users", [redeem_body(code, nonce=nonce) for _ in range(20)]
    )

    returned = [r.json()["credentials"]["refresh_token"] for r in responses]

    assert rotation_outcomes(api, returned) == {200: 1, 401: 19}
