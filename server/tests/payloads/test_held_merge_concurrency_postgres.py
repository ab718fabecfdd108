"""Merges of held payloads racing uploads from the displaced install, with real concurrent clients
on PostgreSQL: every payload ends in the timeline exactly once, none is lost or doubled."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from userlink_testing.factories.devices import bearer, issue_code, payload, phone, redeem

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip(
            "this invariant is tested with real concurrent clients on PostgreSQL; "
            "SQLite takes one writer at a time"
        )


UPLOADERS = 6
BATCHES = 5
MERGERS = 6
MERGES = 5


def test_concurrent_merges_and_uploads_lose_and_double_nothing(api, tenant, live):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    user_id = old["user_id"]
    token = old["credentials"]["access_token"]
    barrier = threading.Barrier(UPLOADERS + MERGERS)

    def uploads(n: int) -> set[str]:
        sent: set[str] = set()
        with httpx.Client(base_url=live.url, timeout=60) as client:
            barrier.wait(timeout=30)
            for b in range(BATCHES):
                batch = [
                    payload(f"u{n}-{b}-{k}", at=f"2026-01-{1 + (n + b + k) % 28:02d}T00:00:00Z")
                    for k in range(3)
                ]
                response = client.post(
                    "/sdk/v1/payloads", json={"payloads": batch}, headers=bearer(token)
                )
                assert response.status_code == 200, response.text
                sent.update(p["id"] for p in batch)
        return sent

    def merges() -> int:
        merged = 0
        with httpx.Client(base_url=live.url, timeout=60) as client:
            barrier.wait(timeout=30)
            for _ in range(MERGES):
                response = client.post(
                    f"/v2/users/{user_id}/held-payloads/merge",
                    json={},
                    headers=bearer(tenant.link_key),
                )
                assert response.status_code == 200, response.text
                merged += response.json()["merged"]
        return merged

    with ThreadPoolExecutor(max_workers=UPLOADERS + MERGERS) as pool:
        upload_jobs = [pool.submit(uploads, n) for n in range(UPLOADERS)]
        merge_jobs = [pool.submit(merges) for _ in range(MERGERS)]
        sent = set().union(*(job.result() for job in upload_jobs))
        merged_concurrently = sum(job.result() for job in merge_jobs)
    last = api.post(
        f"/v2/users/{user_id}/held-payloads/merge", json={}, headers=bearer(tenant.link_key)
    ).json()["merged"]

    timeline = _all_timeline_ids(api, tenant.read_key, user_id)
    assert merged_concurrently + last == len(sent) == UPLOADERS * BATCHES * 3
    assert sorted(timeline) == sorted(sent)
    held = api.get(f"/v2/users/{user_id}/held-payloads", headers=bearer(tenant.read_key))
    assert held.json()["items"] == []


def _all_timeline_ids(api, key, user_id):
    ids: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/v2/users/{user_id}/timeline", params=params, headers=bearer(key)).json()
        ids.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
