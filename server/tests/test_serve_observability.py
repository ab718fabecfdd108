"""`userlink serve` with two worker processes, as an operator runs it: `/metrics` adds up every
worker's counts, each request is one JSON log line with its ref, and no secret of a whole flow
(API key, code, nonce, tokens) reaches the log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from userlink_testing.factories.devices import bearer, issue_code, payload, redeem_body
from userlink_testing.live import TEST_SECRET


@dataclass(frozen=True)
class Served:
    url: str
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def wait_for(self, **fields: Any) -> dict[str, Any]:
        """The first JSON log line with these fields (a worker writes it just after answering)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in self.lines():
                if all(line.get(name) == value for name, value in fields.items()):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no log line with {fields}: {self.log.read_text()[-2000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("serve")
    port = free_port()
    environment = {
        **os.environ,
        "USERLINK_DATABASE_URL": database_url,
        "USERLINK_ENVIRONMENT": "test",
        "USERLINK_SECRET_KEY": TEST_SECRET,
        "USERLINK_PORT": str(port),
        "USERLINK_DATA_DIR": str(workdir),
        "USERLINK_LOG_FORMAT": "json",
    }
    log = workdir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "userlink"), "serve", "--workers", "2"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            # The test runs from another directory than the repository.
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"userlink serve did not start: {log.read_text()}")
            time.sleep(0.1)
        yield Served(url, log)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def requests_counted(url: str, route: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "userlink_http_request_duration_seconds_count"
        and sample.labels["route"] == route
    )


def test_metrics_add_up_the_requests_of_every_worker(served):
    before = requests_counted(served.url, "/health/live")

    for _ in range(20):
        # A new connection each time, so that both workers answer some.
        assert httpx.get(f"{served.url}/health/live", timeout=10).status_code == 200
    after = requests_counted(served.url, "/health/live")

    assert after - before == 20


def test_a_request_is_one_json_log_line_with_its_ref(served):
    httpx.get(f"{served.url}/health/live", headers={"X-Request-ID": "ops-test-ref-0001"})

    line = served.wait_for(ref="ops-test-ref-0001")

    assert line["logger"] == "userlink.access"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/health/live", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"


def test_no_secret_of_a_whole_flow_reaches_the_log(served, tenant):
    with httpx.Client(base_url=served.url, timeout=30) as api:
        code = issue_code(api, tenant.link_key, "alice")
        body = redeem_body(code)
        redeemed = api.post("/sdk/v1/users", json=body, headers={"X-Request-ID": "ops-flow-1"})
        credentials = redeemed.json()["credentials"]
        api.post(
            "/sdk/v1/payloads",
            json={"payloads": [payload("p1")]},
            headers={**bearer(credentials["access_token"]), "X-Request-ID": "ops-flow-2"},
        )
        # The code again, from another install: refused, and the refusal logged.
        api.post("/sdk/v1/users", json=redeem_body(code), headers={"X-Request-ID": "ops-flow-3"})

    served.wait_for(ref="ops-flow-3", route="/sdk/v1/users", status=409)
    log = served.log.read_text()
    assert served.wait_for(ref="ops-flow-1")["status"] == 200
    assert served.wait_for(ref="ops-flow-2")["route"] == "/sdk/v1/payloads"
    secrets = (
        tenant.link_key,
        code,
        body["installation_nonce"],
        credentials["access_token"],
        credentials["refresh_token"],
        TEST_SECRET,
    )
    assert [secret for secret in secrets if secret in log] == []


def test_serve_warns_that_in_memory_rate_limits_are_per_process(served):
    assert "2 workers with in-memory rate limits" in served.log.read_text()
