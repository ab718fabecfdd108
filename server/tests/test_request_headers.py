"""Headers a client controls: an API key leaked into any of a request's Authorization headers is
caught, and X-Forwarded-For names the client (and so its rate-limit bucket) only when it comes
from a proxy the operator trusts, which by default is none."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from userlink_testing.factories.api_keys import key_by_token
from userlink_testing.factories.devices import issue_code, redeem, redeem_body
from userlink_testing.factories.records import audit_rows
from userlink_testing.live import TEST_SECRET

LEAK_EVENT = "api_key.presented_on_sdk_route"


def test_an_api_key_in_a_second_authorization_header_is_refused_as_a_leak(api, tenant, runtime):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))
    key = key_by_token(runtime, tenant.app_id, tenant.link_key)

    response = api.get(
        "/sdk/v1/status",
        headers=[
            ("Authorization", f"Bearer {device['credentials']['access_token']}"),
            ("Authorization", f"Bearer {tenant.link_key}"),
        ],
    )

    assert response.status_code == 401
    assert response.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    assert [row["actor"] for row in audit_rows(runtime, LEAK_EVENT)] == [f"api_key:{key.id}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(database_url: str, live, tmp_path) -> Iterator:
    """`userlink serve` as an operator starts it, on the test database, with a redemption limit
    of one a minute; `serve(**settings)` answers its base URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> str:
        port = free_port()
        environment = {
            **os.environ,
            "USERLINK_DATABASE_URL": database_url,
            "USERLINK_ENVIRONMENT": "test",
            "USERLINK_SECRET_KEY": TEST_SECRET,
            "USERLINK_PORT": str(port),
            "USERLINK_DATA_DIR": str(tmp_path),
            "USERLINK_RATE_LIMIT_REDEMPTION": "1/minute",
            **{f"USERLINK_{name.upper()}": value for name, value in settings.items()},
        }
        environment.pop("FORWARDED_ALLOW_IPS", None)
        command = [str(Path(sys.executable).parent / "userlink"), "serve"]
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("userlink serve did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def redeem_from(url: str, forwarded_for: str) -> httpx.Response:
    return httpx.post(
        f"{url}/sdk/v1/users",
        json=redeem_body("0" * 128),
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )


def test_by_default_x_forwarded_for_does_not_choose_the_rate_limit_bucket(serve):
    url = serve()

    first = redeem_from(url, "203.0.113.1")
    second = redeem_from(url, "203.0.113.2")

    assert first.json()["errorCode"] == "AUTH_CODE_INVALID"
    assert second.status_code == 429
    assert second.json()["errorCode"] == "RATE_LIMITED"


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(serve):
    url = serve(forwarded_allow_ips="127.0.0.1")

    first = redeem_from(url, "203.0.113.1")
    second = redeem_from(url, "203.0.113.2")

    assert first.json()["errorCode"] == "AUTH_CODE_INVALID"
    assert second.json()["errorCode"] == "AUTH_CODE_INVALID"


def test_a_well_formed_inbound_request_id_becomes_the_ref(api):
    answer = api.get("/v2/users/not-a-user", headers={"X-Request-ID": "checkout-7f3a9c21"})

    assert answer.headers["x-request-ref"] == "checkout-7f3a9c21"
    assert answer.json()["ref"] == "checkout-7f3a9c21"


@pytest.mark.parametrize(
    "inbound",
    ["short", "has spaces in it", "<script>alert(1)</script>", "x" * 65, "semi;colon=12345"],
)
def test_a_malformed_inbound_request_id_is_replaced(api, inbound):
    answer = api.get("/v2/users/not-a-user", headers={"X-Request-ID": inbound})

    assert answer.headers["x-request-ref"] != inbound
    assert len(answer.headers["x-request-ref"]) == 36
