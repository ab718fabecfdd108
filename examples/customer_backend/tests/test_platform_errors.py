"""How the platform's refusals and outages reach the app."""

from __future__ import annotations

import socket

from userlink_testing.factories.api_keys import make_key, revoke_key_by_token
from userlink_testing.factories.apps import update_app


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_platform_is_502(make_backend):
    running = make_backend(platform_url=f"http://127.0.0.1:{closed_port()}")
    alice = running.signup("alice")

    response = alice.get("/auth/code")

    assert response.status_code == 502
    assert response.json()["errorCode"] == "PLATFORM_UNREACHABLE"


def test_an_unreachable_platform_on_link_is_502(make_backend):
    running = make_backend(platform_url=f"http://127.0.0.1:{closed_port()}")
    alice = running.signup("alice")

    response = alice.post("/users/d12339a8-6320-4308-abc8-7a5940389da0/link")

    assert response.status_code == 502
    assert response.json()["errorCode"] == "PLATFORM_UNREACHABLE"


def test_a_revoked_api_key_is_a_502_not_a_401_for_the_app(service, runtime, tenant):
    alice = service.signup("alice")
    revoke_key_by_token(runtime, tenant.app_id, tenant.link_key)

    response = alice.get("/auth/code")

    assert response.status_code == 502
    assert response.json()["errorCode"] == "PLATFORM_REJECTED_API_KEY"
    assert "API_KEY_REVOKED" in response.json()["message"]


def test_a_key_without_the_link_scope_passes_through_insufficient_scope(
    make_backend, runtime, tenant
):
    running = make_backend(api_key=make_key(runtime, tenant.app_id, scopes=("user.read",)))
    alice = running.signup("alice")

    response = alice.get("/auth/code")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"


def test_linking_turned_off_passes_through(service, runtime, tenant):
    alice = service.signup("alice")
    update_app(runtime, tenant.app_id, linking_enabled=False)

    response = alice.post("/users/d12339a8-6320-4308-abc8-7a5940389da0/link")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "USERLINKING_NOT_CONFIGURED"
