"""Attestation verifiers: the seam where a real device-integrity service plugs in.

`AttestationVerifier.verify(statement, expected_nonce_check=...)` returns None when the device's
statement (the `X-Device-Attestation` header, None when absent) is acceptable and raises
`AttestationFailed` otherwise. `expected_nonce_check(nonce)` uses up a nonce this backend issued
to the calling session, or raises.

- `DevelopmentVerifier` accepts everything: for development and demos only.
- `JwsAttestationVerifier` checks a compact JWS shaped like an Android SafetyNet attestation,
  signed with a key whose public half is configured here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from customer_backend.attestation.errors import AttestationFailed
from customer_backend.clock import Clock

logger = logging.getLogger("customer_backend.attestation")

NonceCheck = Callable[[str], None]
MAX_STATEMENT_LENGTH = 12 * 1024  # real SafetyNet statements (with x5c) are 5-10 kB


class AttestationVerifier(Protocol):
    def verify(self, statement: str | None, *, expected_nonce_check: NonceCheck) -> None: ...


class DevelopmentVerifier:
    """Accepts every request, with or without a statement."""

    def __init__(self) -> None:
        logger.warning(
            "device attestation is OFF (CUSTOMER_BACKEND_ATTESTATION=development): any client "
            "with a session can fetch codes and the app secret. Never run this in production."
        )

    def verify(self, statement: str | None, *, expected_nonce_check: NonceCheck) -> None:
        return None


class JwsAttestationVerifier:
    """A compact JWS (RS256 or ES256, decided by the configured key's type) whose claims are
    SafetyNet's: `nonce`, `apkPackageName`, `timestampMs`, `ctsProfileMatch`, `basicIntegrity`."""

    def __init__(
        self,
        public_key_pem: bytes,
        *,
        package_name: str,
        clock: Clock,
        max_age: timedelta = timedelta(minutes=5),
    ) -> None:
        key = load_pem_public_key(public_key_pem)
        if isinstance(key, rsa.RSAPublicKey):
            self._algorithm = "RS256"
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            self._algorithm = "ES256"
        else:
            raise ValueError("the attestation public key must be an RSA or a P-256 EC key")
        self._key = key
        self._package_name = package_name
        self._clock = clock
        self._max_age = max_age

    @classmethod
    def from_file(
        cls, path: Path, *, package_name: str, clock: Clock, max_age: timedelta
    ) -> JwsAttestationVerifier:
        return cls(path.read_bytes(), package_name=package_name, clock=clock, max_age=max_age)

    def verify(self, statement: str | None, *, expected_nonce_check: NonceCheck) -> None:
        claims = self._signed_claims(statement)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise AttestationFailed("nonce", "the statement has no nonce")
        # First after the signature: any signed statement is single use, whatever its verdict.
        expected_nonce_check(nonce)
        if claims.get("apkPackageName") != self._package_name:
            raise AttestationFailed("apkPackageName", "the statement is for another app package")
        self._check_timestamp(claims.get("timestampMs"))
        for verdict in ("ctsProfileMatch", "basicIntegrity"):
            if claims.get(verdict) is not True:
                raise AttestationFailed(verdict, f"the device does not pass {verdict}")

    def _signed_claims(self, statement: str | None) -> dict[str, Any]:
        if not statement:
            raise AttestationFailed("header", "the X-Device-Attestation header is missing")
        if len(statement) > MAX_STATEMENT_LENGTH:
            raise AttestationFailed("format", "the statement is too long")
        try:
            return jwt.decode(
                statement,
                self._key,
                algorithms=[self._algorithm],
                options={"verify_aud": False, "verify_iss": False},
            )
        except jwt.InvalidSignatureError:
            raise AttestationFailed(
                "signature", "the statement is not signed by the attestation key"
            ) from None
        except jwt.InvalidAlgorithmError:
            raise AttestationFailed(
                "signature", f"the statement must be signed with {self._algorithm}"
            ) from None
        except jwt.DecodeError:
            raise AttestationFailed("format", "the statement is not a compact JWS") from None
        except jwt.InvalidTokenError as error:
            raise AttestationFailed("claims", str(error)) from None

    def _check_timestamp(self, timestamp_ms: object) -> None:
        if not isinstance(timestamp_ms, int) or isinstance(timestamp_ms, bool):
            raise AttestationFailed("timestampMs", "the statement has no timestampMs")
        now_ms = self._clock.now().timestamp() * 1000
        if abs(now_ms - timestamp_ms) > self._max_age.total_seconds() * 1000:
            raise AttestationFailed(
                "timestampMs",
                f"the statement is older (or newer) than {int(self._max_age.total_seconds())} s",
            )
