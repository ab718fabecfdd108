"""Attestation statements verify with PyJWT (the reference backend's library) for both key
types, and carry the SafetyNet-shaped claims the backend checks."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from device_app import Attester

jwt = pytest.importorskip("jwt")


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
    ],
)
def test_a_statement_verifies_with_the_public_key_and_carries_the_claims(key, algorithm):
    attester = Attester(pem(key), "com.example.app", clock=lambda: 1_700_000_000.5)

    statement = attester.statement("nonce-1")

    assert jwt.get_unverified_header(statement)["alg"] == algorithm
    claims = jwt.decode(statement, key.public_key(), algorithms=[algorithm])
    assert claims == {
        "nonce": "nonce-1",
        "apkPackageName": "com.example.app",
        "timestampMs": 1_700_000_000_500,
        "ctsProfileMatch": True,
        "basicIntegrity": True,
    }


def test_a_statement_does_not_verify_with_another_key():
    attester = Attester(pem(ec.generate_private_key(ec.SECP256R1())), "com.example.app")
    other = ec.generate_private_key(ec.SECP256R1()).public_key()

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(attester.statement("n"), other, algorithms=["ES256"])


def test_a_key_of_another_curve_is_refused():
    with pytest.raises(ValueError, match="RSA or a P-256"):
        Attester(pem(ec.generate_private_key(ec.SECP384R1())), "com.example.app")
