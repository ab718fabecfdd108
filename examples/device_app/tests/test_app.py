"""The app's use cases against a fake backend (httpx.MockTransport): sessions in private files,
one login at a time, attested requests, errors passed through with their codes."""

from __future__ import annotations

import base64
import json
import stat

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from device_app import DeviceApp, DeviceAppError


class FakeBackend:
    """Answers the reference backend's contract; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.refuse: dict[str, tuple[int, dict[str, str]]] = {}
        self.nonces = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path in self.refuse:
            status, body = self.refuse[path]
            return httpx.Response(status, json=body)
        if path in ("/signup", "/login"):
            user = json.loads(request.content)["username"]
            return httpx.Response(201, json={"token": f"token-{user}", "user_id": f"id-{user}"})
        if path == "/logout":
            return httpx.Response(204)
        if path == "/attestation/nonce":
            self.nonces += 1
            return httpx.Response(200, json={"nonce": f"nonce-{self.nonces}"})
        if path == "/app-credentials":
            return httpx.Response(
                200,
                json={"app_id": "app", "app_secret": "secret", "platform_url": "http://p.test"},
            )
        return httpx.Response(404, json={"errorCode": "ROUTE_NOT_FOUND", "message": path})


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def make_app(tmp_path, backend):
    def make(name: str = "phone", **settings) -> DeviceApp:
        return DeviceApp.open(
            tmp_path / name,
            backend_transport=httpx.MockTransport(backend),
            backend_url="http://backend.test",
            **settings,
        )

    return make


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_signup_keeps_the_session_in_a_private_file(make_app, tmp_path):
    app = make_app()

    session = app.signup("alice", "pw")

    assert (session.username, session.user_id) == ("alice", "id-alice")
    assert app.session() == session
    assert mode(tmp_path / "phone") == 0o700
    assert mode(tmp_path / "phone" / "session.json") == 0o600


def test_logging_in_as_another_user_is_refused_until_logout(make_app):
    app = make_app()
    app.login("alice", "pw")

    with pytest.raises(DeviceAppError) as refused:
        app.login("bob", "pw")

    assert refused.value.code == "ALREADY_LOGGED_IN"
    assert app.session().username == "alice"


def test_logout_forgets_the_session_and_tells_the_backend(make_app, backend):
    app = make_app()
    app.login("alice", "pw")

    logged_out = app.logout()

    assert (logged_out.username, logged_out.backend_told) == ("alice", True)
    assert app.session() is None
    assert backend.requests[-1].headers["Authorization"] == "Bearer token-alice"


def test_create_user_needs_a_login_and_asks_the_backend_nothing(make_app, backend):
    with pytest.raises(DeviceAppError) as refused:
        make_app().create_user()

    assert refused.value.code == "NOT_LOGGED_IN"
    assert backend.requests == []


def test_a_backend_refusal_keeps_its_error_code_and_status(make_app, backend):
    app = make_app()
    app.login("alice", "pw")
    backend.refuse["/auth/code"] = (403, {"errorCode": "ATTESTATION_FAILED", "message": "no"})

    with pytest.raises(DeviceAppError) as refused:
        app.create_user()

    assert (refused.value.code, refused.value.status, refused.value.message) == (
        "ATTESTATION_FAILED",
        403,
        "no",
    )


def test_without_an_attestation_key_no_statement_is_sent(make_app, backend):
    app = make_app()
    app.login("alice", "pw")
    backend.refuse["/auth/code"] = (403, {"errorCode": "ATTESTATION_FAILED", "message": "no"})

    with pytest.raises(DeviceAppError):
        app.create_user()

    code_request = backend.requests[-1]
    assert code_request.url.path == "/auth/code"
    assert "X-Device-Attestation" not in code_request.headers
    assert backend.nonces == 0


def signed_nonce(request: httpx.Request) -> str:
    payload = request.headers["X-Device-Attestation"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["nonce"])


def test_with_an_attestation_key_each_request_signs_a_fresh_nonce(make_app, backend, tmp_path):
    key_file = tmp_path / "attestation.pem"
    key_file.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    app = make_app(attestation_key=key_file, package_name="com.example.app")
    app.login("alice", "pw")
    backend.refuse["/auth/code"] = (403, {"errorCode": "STOP", "message": "enough"})

    for _ in range(2):
        with pytest.raises(DeviceAppError):
            app.create_user()

    paths = [request.url.path for request in backend.requests]
    assert paths == ["/login", *["/attestation/nonce", "/auth/code"] * 2]
    assert [signed_nonce(backend.requests[i]) for i in (2, 4)] == ["nonce-1", "nonce-2"]
    assert backend.requests[1].headers["Authorization"] == "Bearer token-alice"


def test_init_legacy_before_any_login_has_no_app_credentials(make_app):
    with pytest.raises(DeviceAppError) as refused:
        make_app().init_legacy()

    assert refused.value.code == "NO_APP_CREDENTIALS"


def test_settings_are_remembered_and_a_new_value_replaces_the_old(make_app, tmp_path):
    make_app(platform="android", model="Pixel 8", diagonal=6.2, pins=("a" * 64,))

    again = make_app(model="Pixel 9")

    assert (again.settings.platform, again.settings.model, again.settings.diagonal) == (
        "android",
        "Pixel 9",
        6.2,
    )
    assert again.settings.pins == ("a" * 64,)
    assert mode(tmp_path / "phone" / "device.json") == 0o600


def test_a_body_that_is_not_an_object_is_refused(make_app):
    with pytest.raises(DeviceAppError) as refused:
        make_app().record("trip", ["not", "an", "object"])

    assert refused.value.code == "INVALID_PAYLOAD"
