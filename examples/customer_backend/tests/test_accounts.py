"""Sign-up, login, logout and sessions, through HTTP."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from customer_backend.models import accounts, sessions


def test_signup_answers_a_session_token_and_a_uuid_user_id(service):
    response = service.client.post(
        "/signup", json={"username": "alice", "password": "correct horse"}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "user_id"}
    assert uuid.UUID(body["user_id"])
    assert body["token"].startswith("cbs_")


def test_signup_token_works_at_once(service):
    alice = service.signup("alice")

    assert alice.get("/attestation/nonce").status_code == 200


def test_signup_refuses_a_taken_username(service):
    service.signup("alice")

    response = service.client.post(
        "/signup", json={"username": "alice", "password": "another password"}
    )

    assert response.status_code == 409
    assert response.json()["errorCode"] == "USERNAME_TAKEN"


def test_signup_treats_usernames_case_insensitively(service):
    service.signup("alice")

    response = service.client.post(
        "/signup", json={"username": "ALICE", "password": "another password"}
    )

    assert response.json()["errorCode"] == "USERNAME_TAKEN"


def test_signup_refuses_a_password_under_eight_characters(service):
    response = service.client.post("/signup", json={"username": "alice", "password": "1234567"})

    assert response.status_code == 422
    assert response.json()["errorCode"] == "WEAK_PASSWORD"


@pytest.mark.parametrize("username", ["al", "alice smith", "", "a" * 65, "alice\n", "ålice"])
def test_signup_refuses_an_invalid_username(service, username):
    response = service.client.post(
        "/signup", json={"username": username, "password": "correct horse"}
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_USERNAME"


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "alice"}, {"password": "correct horse"}, {"username": 1, "password": 2}, []],
)
def test_signup_refuses_a_malformed_body_without_echoing_it(service, body):
    response = service.client.post("/signup", json=body)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert "correct horse" not in response.text


def test_signup_refuses_a_body_that_is_not_json(service):
    response = service.client.post(
        "/signup", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"


def test_login_answers_the_same_user_id_and_a_new_token(service):
    alice = service.signup("alice", "correct horse")

    response = service.client.post(
        "/login", json={"username": "alice", "password": "correct horse"}
    )

    assert response.status_code == 200
    assert response.json()["user_id"] == alice.user_id
    assert response.json()["token"] != alice.token


def test_login_accepts_the_username_in_another_case(service):
    alice = service.signup("Alice", "correct horse")

    response = service.client.post(
        "/login", json={"username": "alice", "password": "correct horse"}
    )

    assert response.json()["user_id"] == alice.user_id


def test_login_refuses_a_wrong_password(service):
    service.signup("alice", "correct horse")

    response = service.client.post("/login", json={"username": "alice", "password": "wrong horse"})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_LOGIN"


def test_login_refuses_an_unknown_username_with_the_same_answer(service):
    service.signup("alice", "correct horse")
    wrong_password = service.client.post(
        "/login", json={"username": "alice", "password": "wrong horse"}
    )

    unknown = service.client.post("/login", json={"username": "mallory", "password": "wrong horse"})

    assert unknown.status_code == 401
    assert unknown.json()["errorCode"] == wrong_password.json()["errorCode"] == "INVALID_LOGIN"
    assert unknown.json()["message"] == wrong_password.json()["message"]


def test_logout_answers_204_and_the_token_stops_working(service):
    alice = service.signup("alice")

    logout = alice.post("/logout")

    assert logout.status_code == 204
    after = alice.get("/attestation/nonce")
    assert after.status_code == 401
    assert after.json()["errorCode"] == "INVALID_SESSION"


def test_logout_ends_only_that_session(service):
    alice = service.signup("alice", "correct horse")
    other_device = service.client.post(
        "/login", json={"username": "alice", "password": "correct horse"}
    ).json()["token"]

    alice.post("/logout")

    still = service.client.get(
        "/attestation/nonce", headers={"Authorization": f"Bearer {other_device}"}
    )
    assert still.status_code == 200


def test_logout_without_a_session_is_401(service):
    response = service.client.post("/logout")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "MISSING_CREDENTIALS"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization", ["Bearer cbs_unknown", "Bearer not-a-session", "Basic YWxpY2U6eA==", "cbs_x"]
)
def test_an_unknown_or_malformed_token_is_401(service, authorization):
    response = service.client.get("/attestation/nonce", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_SESSION"


def test_a_session_expires(service):
    alice = service.signup("alice")

    service.clock.advance(days=30, seconds=1)

    response = alice.get("/attestation/nonce")
    assert response.status_code == 401
    assert response.json()["errorCode"] == "INVALID_SESSION"


def test_passwords_are_stored_as_argon2id_hashes_and_tokens_as_sha256(make_backend):
    production_hasher = make_backend(passwords=None)
    alice = production_hasher.signup("alice", "correct horse")

    with production_hasher.backend.database.transaction() as connection:
        [account] = connection.execute(select(accounts)).mappings().all()
        [session] = connection.execute(select(sessions)).mappings().all()

    assert account["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in str(dict(account))
    assert alice.token not in str(dict(session))
    assert len(session["token_hash"]) == 64
    assert str(account["id"]) == alice.user_id
