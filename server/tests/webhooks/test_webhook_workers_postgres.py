"""Any number of workers share the outbox on PostgreSQL (`FOR UPDATE SKIP LOCKED`): two workers
released together deliver every message exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from userlink_testing.factories.devices import bearer
from userlink_testing.factories.webhooks import create_endpoint, messages, worker
from userlink_testing.live import LiveServer
from userlink_testing.receiver import Receiver

from .conftest import HooksTenant

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite takes one writer at a time; concurrent claims need PostgreSQL")


def test_two_workers_deliver_each_message_once(
    hooks: LiveServer, hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    sent = {
        hooks_api.post(
            f"/v2/webhooks/{endpoint['id']}/test", headers=bearer(hooks_tenant.hooks_key)
        ).json()["id"]
        for _ in range(120)
    }
    workers = [worker(hooks.runtime), worker(hooks.runtime)]
    barrier = threading.Barrier(len(workers))
    attempted: list[int] = []

    def drain(index: int) -> None:
        barrier.wait(timeout=30)
        total = 0
        while found := workers[index].run_once():
            total += found
        attempted.append(total)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for each in workers:
        each.close()

    delivered = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert set(delivered) == sent
    assert set(delivered.values()) == {1}
    assert sum(attempted) == len(sent)
    listed = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"], limit=200)
    assert {(m["status"], m["attempts"]) for m in listed} == {("delivered", 1)}
