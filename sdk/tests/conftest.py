"""Fixtures: a fake of the platform's `/sdk/v1/` routes (docs/sdk-protocol.md), a settable
clock, and SDK objects wired to them through `httpx.MockTransport` (no network). Every test
that makes its SDK with `make_sdk` (or `sdk`, `user_sdk`) runs twice: on `UserLink` and on
`AsyncUserLink` (driven through `userlink_testing.sdk_variants`)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from userlink_sdk import UserCreationOptions, UserLink
from userlink_testing.sdk_variants import SDK_KINDS, sdk_factory

PLATFORM_URL = "https://platform.test"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclasses.dataclass
class FakeUser:
    user_id: str
    app_id: str
    external_id: str | None = None


@dataclasses.dataclass
class FakeInstall:
    install_id: str
    user_id: str
    app_id: str
    nonce: str
    device: dict[str, Any]
    deregistered: bool = False
    remote_enabled: bool = True
    inactive_reason: str | None = None
    displacement: Any = None
    """The status answer's optional `displacement` field, as the test sets it."""


@dataclasses.dataclass
class FakeCode:
    app_id: str
    external_id: str
    expires_at: datetime
    redeemed: tuple[str, datetime, str, str, bool] | None = (
        None  # nonce, at, user, install, restored
    )


class FakePlatform:
    """Keeps users, installs, codes and tokens in dicts and answers as the protocol says."""

    url = PLATFORM_URL
    app_id = "app-1"
    app_secret = "app-secret-1"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.apps = {
            self.app_id: {"secret": self.app_secret, "disabled": False},
            "app-2": {"secret": "app-secret-2", "disabled": False},
        }
        self.users: dict[str, FakeUser] = {}
        self.installs: dict[str, FakeInstall] = {}
        self.codes: dict[str, FakeCode] = {}
        self.access_tokens: dict[str, tuple[str, datetime]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.received: dict[str, dict[str, dict[str, Any]]] = {}
        self.timeline: dict[str, list[str]] = {}
        self.refused_types: set[str] = set()
        self.upload_config = {"max_batch_size": 100, "max_payload_bytes": 65536}
        self.server_max_batch = 100
        self.access_ttl = timedelta(hours=1)
        self.requests: list[httpx.Request] = []
        self._ids = itertools.count(1)

    # -- the customer backend's side ---------------------------------------------------------

    def issue_code(
        self, external_id: str, *, app_id: str = "app-1", ttl: timedelta = timedelta(minutes=10)
    ) -> str:
        code = f"code-{next(self._ids)}-{secrets.token_urlsafe(8)}"
        self.codes[code] = FakeCode(app_id, external_id, self.clock() + ttl)
        return code

    def link_install(self, install_id: str, external_id: str) -> str:
        """`POST /v2/users/{install_id}/link`: returns the user id the install now belongs to."""
        install = self.installs[install_id]
        existing = self._user_by_external_id(install.app_id, external_id)
        if existing is not None:
            del self.users[install.user_id]
            install.user_id = existing.user_id
            return existing.user_id
        self.users[install.user_id].external_id = external_id
        return install.user_id

    # -- the operator's side -----------------------------------------------------------------

    def deactivate(self, install_id: str, reason: str = "NEWER_INSTALL_ACTIVE") -> None:
        self.installs[install_id].remote_enabled = False
        self.installs[install_id].inactive_reason = reason

    def activate(self, install_id: str) -> None:
        self.installs[install_id].remote_enabled = True
        self.installs[install_id].inactive_reason = None

    def deregister(self, install_id: str) -> None:
        self.installs[install_id].deregistered = True

    def requests_to(self, method: str, route: str) -> list[httpx.Request]:
        path = f"/sdk/v1/{route}"
        return [r for r in self.requests if r.method == method and r.url.path == path]

    # -- the routes --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {
            ("POST", "users"): self._redeem,
            ("POST", "token"): self._refresh,
            ("GET", "status"): self._status,
            ("POST", "reset"): self._reset,
            ("POST", "installs"): self._register,
            ("POST", "link/confirm"): self._confirm,
            ("POST", "link"): self._link,
            ("POST", "payloads"): self._payloads,
        }
        route = request.url.path.removeprefix("/sdk/v1/")
        handler = routes.get((request.method, route))
        if handler is None:
            return _error(404, "NOT_FOUND", "no such route")
        return handler(request)

    def _redeem(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        code, nonce = body.get("authentication_code"), body.get("installation_nonce")
        if not isinstance(code, str) or not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
            return _error(422, "VALIDATION_ERROR", "authentication_code and nonce are required")
        found = self.codes.get(code)
        if found is None:
            return _error(401, "AUTH_CODE_INVALID", "unknown authentication code")
        if body.get("app_id") not in (None, found.app_id):
            return _error(403, "AUTH_CODE_APP_MISMATCH", "the code belongs to another app")
        if self.apps[found.app_id]["disabled"]:
            return _error(403, "APP_DISABLED", "the app is disabled")
        now = self.clock()
        if found.redeemed is not None:
            first_nonce, at, _user, install_id, restored = found.redeemed
            if first_nonce == nonce and now - at <= timedelta(seconds=60):
                return self._identity(self.installs[install_id], restored=restored, creds=True)
            return _error(409, "AUTH_CODE_ALREADY_USED", "the code was already used")
        if now >= found.expires_at:
            return _error(401, "AUTH_CODE_EXPIRED", "the code expired")
        user = self._user_by_external_id(found.app_id, found.external_id)
        restored = user is not None
        if user is None:
            user = self._new_user(found.app_id, found.external_id)
        for other in self.installs.values():
            if other.user_id == user.user_id and not other.deregistered:
                self.deactivate(other.install_id)
        install = self._new_install(user, nonce, body.get("device", {}))
        found.redeemed = (nonce, now, user.user_id, install.install_id, restored)
        return self._identity(install, restored=restored, creds=True)

    def _register(self, request: httpx.Request) -> httpx.Response:
        app_id, secret = _basic(request)
        app = self.apps.get(app_id)
        if app is None or app["secret"] != secret:
            return _error(401, "INVALID_APP_CREDENTIALS", "unknown app id or wrong secret")
        if app["disabled"]:
            return _error(403, "APP_DISABLED", "the app is disabled")
        body = json.loads(request.content)
        user = self._new_user(app_id, None)
        install = self._new_install(user, body["installation_nonce"], body.get("device", {}))
        return self._identity(install, restored=False, creds=True, status=201)

    def _refresh(self, request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("refresh_token")
        install_id = self.refresh_tokens.pop(token, None)
        if install_id is None:
            return _error(401, "REFRESH_TOKEN_INVALID", "unknown refresh token")
        if self.installs[install_id].deregistered:
            return _error(401, "INSTALL_DEREGISTERED", "the install is deregistered")
        return httpx.Response(200, json={"credentials": self._credentials(install_id)})

    def _status(self, request: httpx.Request) -> httpx.Response:
        install = self._authenticate(request)
        if isinstance(install, httpx.Response):
            return install
        user = self.users[install.user_id]
        return httpx.Response(
            200,
            json={
                "user_id": user.user_id,
                "install_id": install.install_id,
                "is_linked": user.external_id is not None,
                "is_remote_enabled": install.remote_enabled,
                "inactive_reason": install.inactive_reason,
                "configuration": self._configuration(install),
                "displacement": install.displacement,
            },
        )

    def _reset(self, request: httpx.Request) -> httpx.Response:
        install = self._authenticate(request)
        if isinstance(install, httpx.Response):
            return install
        install.deregistered = True
        for tokens in (self.access_tokens, self.refresh_tokens):
            for token, value in list(tokens.items()):
                owner = value[0] if isinstance(value, tuple) else value
                if owner == install.install_id:
                    del tokens[token]
        return httpx.Response(204)

    def _confirm(self, request: httpx.Request) -> httpx.Response:
        install = self._authenticate(request)
        if isinstance(install, httpx.Response):
            return install
        established = json.loads(request.content or b"{}").get("established") is True
        user = self.users[install.user_id]
        if user.external_id is None and not established:
            return _error(409, "INSTALL_NOT_LINKED", "the platform shows no link for this install")
        return self._identity(install, restored=False, creds=False)

    def _link(self, request: httpx.Request) -> httpx.Response:
        install = self._authenticate(request)
        if isinstance(install, httpx.Response):
            return install
        user = self.users[install.user_id]
        if user.external_id is not None:
            return _error(409, "USER_ALREADY_LINKED", "the user is already linked")
        found = self.codes.get(json.loads(request.content).get("authentication_code"))
        if found is None:
            return _error(401, "AUTH_CODE_INVALID", "unknown authentication code")
        if found.redeemed is not None:
            return _error(409, "AUTH_CODE_ALREADY_USED", "the code was already used")
        if self._user_by_external_id(found.app_id, found.external_id) is not None:
            return _error(409, "EXTERNAL_ID_ALREADY_LINKED", "the external id already has a user")
        found.redeemed = ("link", self.clock(), user.user_id, install.install_id, False)
        user.external_id = found.external_id
        return self._identity(install, restored=False, creds=False)

    def _payloads(self, request: httpx.Request) -> httpx.Response:
        install = self._authenticate(request)
        if isinstance(install, httpx.Response):
            return install
        payloads = json.loads(request.content).get("payloads")
        if not isinstance(payloads, list) or not payloads:
            return _error(422, "VALIDATION_ERROR", "payloads must be a non-empty list")
        if len(payloads) > self.server_max_batch:
            return _error(413, "BATCH_TOO_LARGE", "too many payloads in one batch")
        ids = [p["id"] for p in payloads]
        if len(set(ids)) != len(ids):
            return _error(422, "DUPLICATE_PAYLOAD_ID", "an id appears twice in the batch")
        for payload in payloads:
            size = len(json.dumps(payload["body"], separators=(",", ":")).encode())
            if size > self.upload_config["max_payload_bytes"]:
                return _error(413, "PAYLOAD_TOO_LARGE", "a payload body is too large")
            if payload["type"] in self.refused_types:
                return _error(422, "VALIDATION_ERROR", f"type {payload['type']} is refused")
        received = self.received.setdefault(install.install_id, {})
        results = []
        for payload in payloads:
            if payload["id"] in received:
                results.append({"id": payload["id"], "status": "duplicate"})
                continue
            received[payload["id"]] = payload
            if install.remote_enabled:
                self.timeline.setdefault(install.user_id, []).append(payload["id"])
                results.append({"id": payload["id"], "status": "processed"})
            else:
                results.append({"id": payload["id"], "status": "not_processed"})
        return httpx.Response(
            200, json={"is_remote_enabled": install.remote_enabled, "results": results}
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _authenticate(self, request: httpx.Request) -> FakeInstall | httpx.Response:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "ACCESS_TOKEN_INVALID", "no access token")
        entry = self.access_tokens.get(header.removeprefix("Bearer "))
        if entry is None:
            return _error(401, "ACCESS_TOKEN_INVALID", "unknown access token")
        install_id, expires_at = entry
        install = self.installs[install_id]
        if install.deregistered:
            return _error(401, "INSTALL_DEREGISTERED", "the install is deregistered")
        if self.clock() >= expires_at:
            return _error(401, "ACCESS_TOKEN_EXPIRED", "the access token expired")
        return install

    def _user_by_external_id(self, app_id: str, external_id: str) -> FakeUser | None:
        for user in self.users.values():
            if user.app_id == app_id and user.external_id == external_id:
                return user
        return None

    def _new_user(self, app_id: str, external_id: str | None) -> FakeUser:
        user = FakeUser(f"user-{next(self._ids)}", app_id, external_id)
        self.users[user.user_id] = user
        return user

    def _new_install(self, user: FakeUser, nonce: str, device: dict[str, Any]) -> FakeInstall:
        install = FakeInstall(
            f"install-{next(self._ids)}", user.user_id, user.app_id, nonce, device
        )
        self.installs[install.install_id] = install
        return install

    def _credentials(self, install_id: str) -> dict[str, str]:
        access, refresh = f"ula_{secrets.token_urlsafe(16)}", f"ulr_{secrets.token_urlsafe(16)}"
        expires_at = self.clock() + self.access_ttl
        self.access_tokens[access] = (install_id, expires_at)
        self.refresh_tokens[refresh] = install_id
        return {
            "access_token": access,
            "access_token_expires_at": _iso(expires_at),
            "refresh_token": refresh,
            "refresh_token_expires_at": _iso(self.clock() + timedelta(days=90)),
        }

    def _configuration(self, install: FakeInstall) -> dict[str, Any]:
        return {
            "is_remote_enabled": install.remote_enabled,
            "upload": {**self.upload_config, "min_interval_seconds": 30},
            "features": {},
        }

    def _identity(
        self, install: FakeInstall, *, restored: bool, creds: bool, status: int = 200
    ) -> httpx.Response:
        user = self.users[install.user_id]
        body: dict[str, Any] = {
            "user_id": user.user_id,
            "install_id": install.install_id,
            "is_linked": user.external_id is not None,
            "configuration": self._configuration(install),
        }
        if creds:
            body["restored"] = restored
            body["credentials"] = self._credentials(install.install_id)
        return httpx.Response(status, json=body)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"message": message, "errorCode": code, "ref": secrets.token_hex(4)}
    )


def _basic(request: httpx.Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return "", ""
    app_id, _, secret = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    return app_id, secret


class Network:
    """Between the SDK and the fake platform: can be down, or apply faults to the next requests
    in order: "refuse" (no connection), "drop_answer" (the platform processes the request, the
    answer is lost), "http_500" / "http_503" / "http_429" (answered without processing), or an
    `httpx.Response` answered as it is (without processing)."""

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform
        self.down = False
        self.faults: list[str | httpx.Response] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, httpx.Response):
            return fault
        if fault == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if fault is not None and fault.startswith("http_"):
            status = int(fault.removeprefix("http_"))
            return _error(status, "RATE_LIMITED" if status == 429 else "INTERNAL", "injected")
        response = self.platform.handle(request)
        if fault == "drop_answer":
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform(clock: FakeClock) -> FakePlatform:
    return FakePlatform(clock)


@pytest.fixture
def network(platform: FakePlatform) -> Network:
    return Network(platform)


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays the SDK asked for (it never really sleeps in tests)."""
    return []


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "device"


MakeSdk = Callable[..., UserLink]


@pytest.fixture(params=SDK_KINDS)
def sdk_kind(request: pytest.FixtureRequest) -> str:
    """ "sync" (`UserLink`) or "async" (`AsyncUserLink`, called through a blocking face)."""
    return str(request.param)


@pytest.fixture
def make_sdk(
    state_dir: Path, network: Network, clock: FakeClock, sleeps: list[float], sdk_kind: str
) -> Iterator[MakeSdk]:
    """`make_sdk(handler=None, state_dir=..., **kwargs)`: a UserLink (or an AsyncUserLink with
    the same face) on the fake platform, through `network` unless another handler is given."""
    with sdk_factory(sdk_kind) as factory:

        def make(
            handler: Callable[[httpx.Request], httpx.Response] | None = None,
            state_dir: Path = state_dir,
            **kwargs: Any,
        ) -> UserLink:
            kwargs.setdefault("platform_url", PLATFORM_URL)
            sdk: UserLink = factory(
                state_dir,
                transport=httpx.MockTransport(handler or network.handle),
                clock=clock,
                sleep=sleeps.append,
                **kwargs,
            )
            return sdk

        yield make


@pytest.fixture
def sdk(make_sdk: MakeSdk) -> UserLink:
    return make_sdk()


@pytest.fixture
def user_sdk(sdk: UserLink, platform: FakePlatform) -> UserLink:
    """An SDK whose device holds the linked user of external id `alice`."""
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    return sdk


@pytest.fixture
def read_state(state_dir: Path) -> Callable[[], dict[str, Any]]:
    """The device state file's JSON, as the SDK wrote it."""

    def read() -> dict[str, Any]:
        data: dict[str, Any] = json.loads((state_dir / "device_state.json").read_text())
        return data

    return read


@pytest.fixture
def holding(sdk_kind: str) -> Callable[..., Any]:
    """`holding(inner, entered, release, path=None)`: a handler that, on a request to `path`
    (any when None), sets `entered` and holds the answer until `release` is set (at most 5 s).
    For AsyncUserLink it waits without blocking the event loop, so the test's other calls run
    meanwhile, as they do on UserLink's other threads."""

    def make(
        inner: Callable[[httpx.Request], httpx.Response],
        entered: threading.Event,
        release: threading.Event,
        path: str | None = None,
    ) -> Callable[[httpx.Request], Any]:
        if sdk_kind == "sync":

            def handler(request: httpx.Request) -> httpx.Response:
                if path is None or request.url.path == path:
                    entered.set()
                    release.wait(5)
                return inner(request)

            return handler

        async def async_handler(request: httpx.Request) -> httpx.Response:
            if path is None or request.url.path == path:
                entered.set()
                for _ in range(500):
                    if release.is_set():
                        break
                    await asyncio.sleep(0.01)
            return inner(request)

        return async_handler

    return make


@pytest.fixture
def resetting_sdk(make_sdk, platform, network, holding) -> Iterator[UserLink]:
    """An SDK with a user whose `reset()` is under way: the platform holds the reset request
    until the test ends, so every call in the test body meets a reset in progress."""
    entered, release = threading.Event(), threading.Event()
    sdk = make_sdk(handler=holding(network.handle, entered, release, "/sdk/v1/reset"))
    sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
    resetting = threading.Thread(target=sdk.reset)
    resetting.start()
    entered.wait(5)
    try:
        yield sdk
    finally:
        release.set()
        resetting.join(5)
