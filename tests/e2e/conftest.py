"""End-to-end fixtures: SDK devices talking to the real runtime (`live`, from the root conftest),
a customer backend speaking plain HTTP with the tenant's API keys, and transports that lose an
answer after the runtime processed the request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from userlink_sdk import DeviceInfo, UserLink
from userlink_testing.live import LiveServer
from userlink_testing.sdk_variants import SDK_KINDS, sdk_factory

PHONE = DeviceInfo(platform="android", os_version="14", model="Pixel 8", screen_diagonal_inches=6.2)
NEW_PHONE = DeviceInfo(
    platform="android", os_version="15", model="Pixel 9", screen_diagonal_inches=6.3
)
TABLET = DeviceInfo(
    platform="android", os_version="14", model="Galaxy Tab S9", screen_diagonal_inches=11.0
)
IPAD = DeviceInfo(platform="ios", os_version="18.1", model="iPad14,1", ios_idiom="pad")


class CustomerBackend:
    """The customer's server: talks to the platform's server-to-server routes with its API keys."""

    def __init__(self, api: httpx.Client, tenant: Any) -> None:
        self.api = api
        self.tenant = tenant

    def auth_code(self, external_id: str, code_challenge: str | None = None) -> str:
        body: dict[str, Any] = {"external_id": external_id}
        if code_challenge is not None:
            body.update(code_challenge=code_challenge, code_challenge_method="S256")
        response = self.api.post(
            "/users/auth-code",
            json=body,
            headers={"Authorization": f"Bearer {self.tenant.link_key}"},
        )
        assert response.status_code == 200, response.text
        code: str = response.json()["authentication_code"]
        return code

    def link(self, install_id: str, external_id: str) -> httpx.Response:
        return self.api.post(
            f"/v2/users/{install_id}/link",
            json={"external_id": external_id},
            headers={"Authorization": f"Bearer {self.tenant.link_key}"},
        )

    def user(self, user_id: str) -> dict[str, Any]:
        response = self.api.get(
            f"/v2/users/{user_id}", headers={"Authorization": f"Bearer {self.tenant.read_key}"}
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def user_by_external_id(self, external_id: str) -> httpx.Response:
        return self.api.get(
            "/v2/users",
            params={"external_id": external_id},
            headers={"Authorization": f"Bearer {self.tenant.read_key}"},
        )

    def timeline(self, user_id: str) -> list[dict[str, Any]]:
        """The whole timeline (one page: the tests stay far below the page limit)."""
        response = self.api.get(
            f"/v2/users/{user_id}/timeline",
            params={"limit": 1000},
            headers={"Authorization": f"Bearer {self.tenant.read_key}"},
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["next_cursor"] is None
        items: list[dict[str, Any]] = page["items"]
        return items


@pytest.fixture
def customer(api: httpx.Client, tenant: Any) -> CustomerBackend:
    return CustomerBackend(api, tenant)


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays the SDKs asked for: recorded, never slept."""
    return []


MakeDevice = Callable[..., UserLink]


@pytest.fixture(params=SDK_KINDS)
def sdk_kind(request: pytest.FixtureRequest) -> str:
    """Every flow runs with `UserLink` and with `AsyncUserLink` (through a blocking face)."""
    return str(request.param)


@pytest.fixture
def make_device(
    live: LiveServer, tmp_path: Path, sleeps: list[float], sdk_kind: str
) -> Iterator[MakeDevice]:
    """`make_device(name, device=PHONE, **kwargs)`: a UserLink (or an AsyncUserLink with the
    same face) whose state lives in `tmp_path / name` (the same name is the same device), on
    the live platform's clock. The runtime URL is not given here: the flows pass it, or the
    device state remembers it."""
    with sdk_factory(sdk_kind) as factory:

        def make(name: str, device: DeviceInfo = PHONE, **kwargs: Any) -> UserLink:
            kwargs.setdefault("clock", live.clock.now)
            kwargs.setdefault("app_version", "1.0.0")
            sdk: UserLink = factory(tmp_path / name, device=device, sleep=sleeps.append, **kwargs)
            return sdk

        yield make


class LoseAnswers(httpx.BaseTransport):
    """A real transport that loses the answer of the next `count` requests to `path`: the
    request reaches the runtime and is processed, then the connection "resets"."""

    def __init__(self, path: str, *, count: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.path = path
        self.count = count
        self.lost: list[httpx.Request] = []
        self.lost_answers: list[Any] = []
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.sent.append(request)
        if request.url.path == self.path and len(self.lost) < self.count:
            response.read()
            response.close()
            self.lost.append(request)
            self.lost_answers.append(response.json())
            raise httpx.ReadError("connection reset after the runtime answered", request=request)
        return response

    def requests_to(self, path: str) -> list[httpx.Request]:
        return [r for r in self.sent if r.url.path == path]

    def close(self) -> None:
        self.inner.close()


class LinkingBackend:
    """A tiny customer backend for the legacy flow, on a real socket: `POST /link`
    `{"install_id", "user"}` links the install to that user on the runtime
    (`POST /v2/users/{install_id}/link` with the link key) and answers the platform's status.
    `fail_next` answers 500 to that many requests without calling the runtime."""

    def __init__(self, customer: CustomerBackend) -> None:
        self.customer = customer
        self.fail_next = 0
        self.calls: list[dict[str, Any]] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length))
                status, answer = backend.handle(self.path, request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def handle(self, path: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(request)
        if path != "/link":
            return 404, {"error": "no such route"}
        if self.fail_next:
            self.fail_next -= 1
            return 500, {"error": "the backend failed"}
        response = self.customer.link(request["install_id"], request["user"])
        return response.status_code, response.json()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def linking_backend(customer: CustomerBackend) -> Iterator[LinkingBackend]:
    backend = LinkingBackend(customer)
    backend.start()
    yield backend
    backend.stop()


def backend_linker(backend: LinkingBackend, user: str) -> Callable[[str], bool]:
    """The app's plain linker: asks its backend to link the install to its logged-in user."""

    def linker(install_id: str) -> bool:
        response = httpx.post(
            f"{backend.url}/link", json={"install_id": install_id, "user": user}, timeout=30
        )
        return response.status_code == 200

    return linker
