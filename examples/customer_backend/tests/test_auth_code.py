"""GET /auth/code: a platform code for the session's user, and only for it."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from userlink_testing.factories.devices import bearer, redeem, redeem_body


def platform_user(api, tenant, user_id: str) -> dict:
    response = api.get(f"/v2/users/{user_id}", headers=bearer(tenant.read_key))
    assert response.status_code == 200, response.text
    return response.json()


def test_auth_code_answers_the_app_id_code_platform_url_and_expiry(service, tenant, live):
    alice = service.signup("alice")

    response = alice.get("/auth/code")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"app_id", "auth_code", "platform_url", "expires_at"}
    assert body["app_id"] == str(tenant.app_id)
    assert body["platform_url"] == live.url
    assert body["expires_at"].endswith("Z")


def test_the_platform_redeems_the_code_for_the_sessions_user(service, api, tenant):
    alice = service.signup("alice")
    code = alice.get("/auth/code").json()["auth_code"]

    created = redeem(api, code)

    assert created["restored"] is False
    assert platform_user(api, tenant, created["user_id"])["external_id"] == alice.user_id


def test_a_returning_user_gets_a_code_that_restores_the_same_platform_user(service, api):
    service.signup("alice", "correct horse")
    first = redeem(api, code_after_login(service, "alice", "correct horse"))

    second = redeem(api, code_after_login(service, "alice", "correct horse"))

    assert second["restored"] is True
    assert second["user_id"] == first["user_id"]


def code_after_login(service, username: str, password: str) -> str:
    """What a reinstalled app does: log in again, then ask for a code."""
    token = service.client.post("/login", json={"username": username, "password": password}).json()[
        "token"
    ]
    response = service.client.get("/auth/code", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    code: str = response.json()["auth_code"]
    return code


def test_two_users_get_two_platform_users(service, api):
    alice = service.signup("alice")
    bob = service.signup("bob")

    alice_user = redeem(api, alice.get("/auth/code").json()["auth_code"])
    bob_user = redeem(api, bob.get("/auth/code").json()["auth_code"])

    assert alice_user["user_id"] != bob_user["user_id"]


@pytest.mark.parametrize(
    "params",
    [
        {"external_id": "someone-else"},
        {"user_id": "someone-else"},
        {"externalId": "someone-else"},
        {"userId": "someone-else"},
        {"id": "someone-else"},
    ],
)
def test_auth_code_refuses_a_query_naming_a_user(service, params):
    alice = service.signup("alice")

    response = alice.get("/auth/code", params=params)

    assert response.status_code == 400
    assert response.json()["errorCode"] == "EXTERNAL_ID_NOT_ACCEPTED"


def test_auth_code_refuses_a_body_naming_a_user(service):
    alice = service.signup("alice")

    response = service.client.request(
        "GET", "/auth/code", json={"external_id": "someone-else"}, headers=alice.headers
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "EXTERNAL_ID_NOT_ACCEPTED"


def test_a_refused_request_issues_no_code(service, api, tenant):
    alice = service.signup("alice")

    alice.get("/auth/code", params={"external_id": "someone-else"})

    lookup = api.get(
        "/v2/users", params={"external_id": "someone-else"}, headers=bearer(tenant.read_key)
    )
    assert lookup.status_code == 404


def test_auth_code_ignores_a_harmless_query(service):
    alice = service.signup("alice")

    response = alice.get("/auth/code", params={"cache": "1"})

    assert response.status_code == 200


def test_auth_code_needs_a_session(service):
    response = service.client.get("/auth/code")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "MISSING_CREDENTIALS"


def test_auth_code_refuses_a_logged_out_session(service):
    alice = service.signup("alice")
    alice.post("/logout")

    response = alice.get("/auth/code")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_SESSION"


def test_a_code_asked_with_the_sdks_challenge_is_bound_to_that_device(service, api):

    alice = service.signup("alice")
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )

    code = alice.get("/auth/code", params={"code_challenge": challenge}).json()["auth_code"]

    stolen = api.post("/sdk/v1/users", json=redeem_body(code))
    assert stolen.json()["errorCode"] == "AUTH_CODE_VERIFIER_MISMATCH"
