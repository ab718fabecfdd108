"""JWS device attestation (SafetyNet-shaped statements): what passes, and every check that fails.

`jws_backend` trusts `rsa_key`; `sign(nonce, **claims)` makes a statement it accepts unless told
otherwise."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from customer_backend.config import Settings
from userlink.models import auth_codes
from userlink_testing.factories.devices import register_install
from userlink_testing.factories.records import count_rows


def assert_attestation_failed(response: httpx.Response, check: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["errorCode"] == "ATTESTATION_FAILED"
    assert f"({check})" in response.json()["message"]


def test_a_valid_statement_passes(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce()))

    assert response.status_code == 200
    assert response.json()["auth_code"]


def test_an_es256_statement_passes_with_an_ec_key(ec_backend, sign_ec):
    alice = ec_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign_ec(alice.nonce()))

    assert response.status_code == 200


def test_an_rs256_statement_is_refused_by_a_backend_with_an_ec_key(ec_backend, sign_ec, rsa_key):
    alice = ec_backend.signup("alice")

    statement = sign_ec(alice.nonce(), signing_key=rsa_key.private_key, algorithm="RS256")
    response = alice.get("/auth/code", statement=statement)

    assert_attestation_failed(response, "signature")


def test_link_and_app_credentials_pass_with_a_valid_statement(jws_backend, sign, api, tenant):
    alice = jws_backend.signup("alice")
    install = register_install(api, tenant.app_id, tenant.app_secret)

    link = alice.post(f"/users/{install['install_id']}/link", statement=sign(alice.nonce()))
    credentials = alice.get("/app-credentials", statement=sign(alice.nonce()))

    assert link.status_code == 200
    assert credentials.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/code"),
        ("POST", "/users/d12339a8-6320-4308-abc8-7a5940389da0/link"),
        ("GET", "/app-credentials"),
    ],
)
def test_a_missing_header_is_refused(jws_backend, method, path):
    alice = jws_backend.signup("alice")

    response = jws_backend.client.request(method, path, headers=alice.headers)

    assert_attestation_failed(response, "header")


def test_a_bad_signature_is_refused(jws_backend, sign, other_rsa_key):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce(), signing_key=other_rsa_key))

    assert_attestation_failed(response, "signature")


def test_a_tampered_payload_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")
    header, _payload, signature = sign(alice.nonce(), ctsProfileMatch=False).split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({"nonce": alice.nonce(), "ctsProfileMatch": True}).encode()
    ).rstrip(b"=")

    response = alice.get("/auth/code", statement=f"{header}.{forged.decode()}.{signature}")

    assert_attestation_failed(response, "signature")


def _unsigned(header: dict, payload: dict, key: bytes = b"") -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_an_unsigned_statement_is_refused(jws_backend):
    alice = jws_backend.signup("alice")
    statement = _unsigned({"alg": "none"}, {"nonce": alice.nonce(), "ctsProfileMatch": True})

    response = alice.get("/auth/code", statement=statement)

    assert_attestation_failed(response, "signature")


def test_a_statement_signed_with_the_public_key_as_an_hmac_secret_is_refused(jws_backend, rsa_key):
    alice = jws_backend.signup("alice")
    public_pem = rsa_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    statement = _unsigned({"alg": "HS256"}, {"nonce": alice.nonce()}, key=public_pem)

    response = alice.get("/auth/code", statement=statement)

    assert_attestation_failed(response, "signature")


@pytest.mark.parametrize("statement", ["not-a-jws", "a.b.c", "...", "x" * 13_000])
def test_a_malformed_statement_is_refused(jws_backend, statement):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=statement)

    assert response.status_code == 403
    assert response.json()["errorCode"] == "ATTESTATION_FAILED"


def test_a_statement_for_another_package_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get(
        "/auth/code", statement=sign(alice.nonce(), apkPackageName="com.evil.clone")
    )

    assert_attestation_failed(response, "apkPackageName")


def test_a_reused_nonce_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")
    statement = sign(alice.nonce())
    assert alice.get("/auth/code", statement=statement).status_code == 200

    response = alice.get("/auth/code", statement=statement)

    assert_attestation_failed(response, "nonce")
    assert "already used" in response.json()["message"]


def test_a_nonce_of_another_session_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")
    bob = jws_backend.signup("bob")

    response = bob.get("/auth/code", statement=sign(alice.nonce()))

    assert_attestation_failed(response, "nonce")
    assert "not issued to this session" in response.json()["message"]


def test_a_nonce_of_another_session_of_the_same_user_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice", "correct horse")
    nonce = alice.nonce()
    alice.post("/logout")
    again = jws_backend.client.post(
        "/login", json={"username": "alice", "password": "correct horse"}
    ).json()["token"]

    response = jws_backend.client.get(
        "/auth/code",
        headers={"Authorization": f"Bearer {again}", "X-Device-Attestation": sign(nonce)},
    )

    assert_attestation_failed(response, "nonce")


def test_a_nonce_this_backend_never_issued_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign("made-up-by-the-device"))

    assert_attestation_failed(response, "nonce")


def test_an_expired_nonce_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")
    nonce = alice.nonce()
    jws_backend.clock.advance(minutes=5, seconds=1)

    response = alice.get("/auth/code", statement=sign(nonce))

    assert_attestation_failed(response, "nonce")
    assert "expired" in response.json()["message"]


def test_a_statement_without_a_nonce_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(""))

    assert_attestation_failed(response, "nonce")


def test_a_stale_timestamp_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get(
        "/auth/code", statement=sign(alice.nonce(), age=timedelta(minutes=5, seconds=1))
    )

    assert_attestation_failed(response, "timestampMs")


def test_a_timestamp_from_the_future_is_refused(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce(), age=timedelta(minutes=-6)))

    assert_attestation_failed(response, "timestampMs")


@pytest.mark.parametrize("value", [None, "1700000000000", True, 1.5e12])
def test_a_missing_or_mistyped_timestamp_is_refused(jws_backend, sign, value):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce(), timestampMs=value))

    assert_attestation_failed(response, "timestampMs")


@pytest.mark.parametrize("value", [False, None, "true", 1])
def test_cts_profile_match_must_be_true(jws_backend, sign, value):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce(), ctsProfileMatch=value))

    assert_attestation_failed(response, "ctsProfileMatch")


def test_basic_integrity_must_be_true(jws_backend, sign):
    alice = jws_backend.signup("alice")

    response = alice.get("/auth/code", statement=sign(alice.nonce(), basicIntegrity=False))

    assert_attestation_failed(response, "basicIntegrity")


def test_a_nonce_is_spent_by_a_statement_that_fails_a_later_check(jws_backend, sign):
    alice = jws_backend.signup("alice")
    nonce = alice.nonce()
    alice.get("/auth/code", statement=sign(nonce, ctsProfileMatch=False))

    response = alice.get("/auth/code", statement=sign(nonce))

    assert_attestation_failed(response, "nonce")


def test_a_refused_attestation_never_reaches_the_platform(jws_backend, sign, runtime):
    alice = jws_backend.signup("alice")

    alice.get("/auth/code", statement=sign(alice.nonce(), basicIntegrity=False))
    alice.get("/auth/code")

    assert count_rows(runtime, auth_codes) == 0


def test_the_nonce_route_needs_a_session(jws_backend):
    response = jws_backend.client.get("/attestation/nonce")

    assert response.status_code == 401


def test_nonces_are_single_use_under_concurrent_requests(jws_backend, sign):
    alice = jws_backend.signup("alice")
    statement = sign(alice.nonce())
    headers = {**alice.headers, "X-Device-Attestation": statement}
    barrier = threading.Barrier(8)

    def send(_: int) -> int:
        with httpx.Client(base_url=jws_backend.url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.get("/auth/code", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(send, range(8)))

    assert statuses == {200: 1, 403: 7}


def test_jws_mode_needs_the_key_file_and_the_package_name():
    with pytest.raises(ValueError, match=r"ATTESTATION_PUBLIC_KEY_FILE and .*PACKAGE_NAME"):
        Settings.model_validate({"app_id": "app", "api_key": "key", "attestation": "jws"})
