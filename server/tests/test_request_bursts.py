"""A burst of requests larger than the server's worker threads and connection pool is answered in
full, on both backends: once, the requests waiting for a connection took every worker thread,
the requests holding connections could not finish, and after the pool's 30 s timeout the
waiters answered 500."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from userlink_testing.factories.devices import bearer, issue_code, redeem

BURST = 75  # more than the 40 worker threads plus the 30 pooled connections


def test_burst_larger_than_the_worker_threads_is_answered_in_full(api, tenant, live):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    headers = bearer(device["credentials"]["access_token"])
    barrier = threading.Barrier(BURST)

    def ask_status(_: int) -> int:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.get("/sdk/v1/status", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = Counter(pool.map(ask_status, range(BURST)))

    assert statuses == {200: BURST}
