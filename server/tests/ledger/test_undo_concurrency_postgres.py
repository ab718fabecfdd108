"""Concurrent undos of one event, each from its own client and connection, released together:
exactly one takes effect (PostgreSQL; SQLite takes one writer at a time)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from userlink.models import audit_events, users
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.devices import bearer, issue_code, phone, redeem
from userlink_testing.factories.records import count_rows

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("concurrent undos are tested with real concurrent clients on PostgreSQL")


def undo_all_at_once(base_url: str, path: str, header_sets: list[dict[str, str]]):
    barrier = threading.Barrier(len(header_sets))

    def send(headers: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.post(path, headers=headers)

    with ThreadPoolExecutor(max_workers=len(header_sets)) as pool:
        return list(pool.map(send, header_sets))


@pytest.fixture
def wrong_restore(api, tenant, runtime):
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    wrong = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("shared"))
    response = api.get(
        f"/v2/users/{wrong['user_id']}/events",
        params={"type": "user.restored"},
        headers=bearer(tenant.read_key),
    )
    [restored] = response.json()["items"]
    key = make_key(runtime, tenant.app_id, scopes=("user.admin",))
    return key, f"/v2/users/{wrong['user_id']}/events/{restored['id']}/undo"


def test_twenty_undos_of_one_event_at_once_take_effect_exactly_once(live, runtime, wrong_restore):
    key, path = wrong_restore

    responses = undo_all_at_once(live.url, path, [bearer(key) for _ in range(20)])

    outcomes = Counter((r.status_code, r.json().get("errorCode")) for r in responses)
    assert outcomes == {(200, None): 1, (409, "EVENT_ALREADY_UNDONE"): 19}
    assert count_rows(runtime, audit_events, event="event.undone") == 1
    # The alice user and the one provisional user the undo made: no second one.
    assert count_rows(runtime, users) == 2


def test_twenty_retries_with_one_idempotency_key_all_answer_the_one_undo(
    live, runtime, wrong_restore
):
    key, path = wrong_restore
    headers = {**bearer(key), "Idempotency-Key": "undo-1"}

    responses = undo_all_at_once(live.url, path, [headers for _ in range(20)])

    assert {r.status_code for r in responses} == {200}
    assert Counter(r.json()["replayed"] for r in responses) == {False: 1, True: 19}
    assert len({r.json()["undo_event_id"] for r in responses}) == 1
    assert len({r.json()["install_user_id"] for r in responses}) == 1
    assert count_rows(runtime, users) == 2
