"""Device attestation, simulated: what the OS attestation service (Android's Play Integrity /
SafetyNet) would hand the app, signed with a key the demo controls.

The statement is a compact JWS (RS256 for an RSA key, ES256 for a P-256 key) with the claims the
reference customer backend checks: the single-use `nonce` it issued, `apkPackageName`,
`timestampMs`, `ctsProfileMatch` and `basicIntegrity`. On a real device, replace `Attester` with
a call to the platform's attestation API; the app never holds such a key.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = ["Attester"]

_ES256_COORDINATE_BYTES = 32


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Attester:
    """Signs attestation statements for one app package with one private key."""

    def __init__(
        self,
        private_key_pem: bytes,
        package_name: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            self.algorithm = "RS256"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            self.algorithm = "ES256"
        else:
            raise ValueError("the attestation key must be an RSA or a P-256 (EC) private key")
        self._key = key
        self.package_name = package_name
        self._clock = clock

    @classmethod
    def from_file(cls, path: Path, package_name: str) -> Attester:
        return cls(path.read_bytes(), package_name)

    def statement(self, nonce: str) -> str:
        """The compact JWS for the `X-Device-Attestation` header."""
        claims: dict[str, Any] = {
            "nonce": nonce,
            "apkPackageName": self.package_name,
            "timestampMs": int(self._clock() * 1000),
            "ctsProfileMatch": True,
            "basicIntegrity": True,
        }
        header = {"alg": self.algorithm, "typ": "JWT"}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        ).encode("ascii")
        return f"{signing_input.decode('ascii')}.{_b64url(self._sign(signing_input))}"

    def _sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_ES256_COORDINATE_BYTES, "big") + s.to_bytes(
            _ES256_COORDINATE_BYTES, "big"
        )
