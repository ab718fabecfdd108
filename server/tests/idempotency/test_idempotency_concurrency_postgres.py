"""One Idempotency-Key sent by many clients at once, to two server processes on one PostgreSQL
(the test's own and a `userlink serve` started for it): the write runs once. Every other request
either replays its answer or is told the first is still running.

SQLite serialises every write transaction, so this only means something on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from userlink.models import auth_codes, idempotency_keys
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import count_rows
from userlink_testing.live import TEST_SECRET, LiveServer

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("concurrent requests are tested on PostgreSQL; SQLite takes one writer")


@dataclass(frozen=True)
class ServeProcess:
    url: str


@pytest.fixture
def second_server(database_url: str, live: LiveServer, tmp_path: Path) -> Iterator[ServeProcess]:
    """`userlink serve` in a process of its own, on the same database and secret as `live`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    environment = {
        **os.environ,
        "USERLINK_DATABASE_URL": database_url,
        "USERLINK_ENVIRONMENT": "test",
        "USERLINK_SECRET_KEY": TEST_SECRET,
        "USERLINK_PORT": str(port),
        "USERLINK_RATE_LIMIT_ENABLED": "false",
        "USERLINK_DATA_DIR": str(tmp_path / "data"),
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "userlink"), "serve", "--workers", "1"],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "serve.log").read_text()[-2000:])
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield ServeProcess(url)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_twenty_concurrent_requests_with_one_key_on_two_server_processes_mint_one_code(
    live, second_server, tenant, runtime
):
    key = str(uuid.uuid4())
    urls = [live.url, second_server.url] * 10
    barrier = threading.Barrier(len(urls))

    def send(url: str) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.post(
                "/users/auth-code",
                json={"external_id": "alice"},
                headers={**bearer(tenant.link_key), "Idempotency-Key": key},
            )

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        responses = list(pool.map(send, urls))

    kinds = Counter(
        "executed"
        if r.status_code == 200 and "Idempotent-Replayed" not in r.headers
        else "replayed"
        if r.status_code == 200
        else r.json()["errorCode"]
        for r in responses
    )
    assert kinds["executed"] == 1
    assert set(kinds) <= {"executed", "replayed", "IDEMPOTENCY_KEY_IN_PROGRESS"}
    assert all(r.headers["Retry-After"] == "1" for r in responses if r.status_code == 409)
    assert len({r.json()["authentication_code"] for r in responses if r.status_code == 200}) == 1
    assert count_rows(runtime, auth_codes) == 1
    assert count_rows(runtime, idempotency_keys) == 1


def test_after_the_race_every_retry_replays_the_one_code(live, second_server, tenant):
    key = str(uuid.uuid4())
    headers = {**bearer(tenant.link_key), "Idempotency-Key": key}
    barrier = threading.Barrier(10)

    def send(url: str) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.post("/users/auth-code", json={"external_id": "bob"}, headers=headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(send, [live.url, second_server.url] * 5))

    retries = [
        httpx.post(f"{url}/users/auth-code", json={"external_id": "bob"}, headers=headers)
        for url in (live.url, second_server.url)
    ]
    assert [r.headers["Idempotent-Replayed"] for r in retries] == ["true", "true"]
    assert retries[0].json() == retries[1].json()
