"""The demo's key material, made fresh on every run with `cryptography`: a self-signed TLS
certificate for the HTTPS platform (and its pin), and the attestation key pair that stands in
for the OS attestation service."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["AttestationKeys", "TlsMaterial", "make_attestation_keys", "make_tls", "spki_pin"]


@dataclasses.dataclass(frozen=True)
class TlsMaterial:
    certificate: Path
    """PEM certificate: uvicorn's --ssl-certfile, and the CA file the SDK trusts."""
    private_key: Path
    pin: str
    """base64 SHA-256 of the certificate's SubjectPublicKeyInfo: the right pin."""
    wrong_pin: str
    """The pin of another key (say, a backup key never deployed)."""


@dataclasses.dataclass(frozen=True)
class AttestationKeys:
    private_key: Path
    """What the devices sign with (on a real device, the OS attestation service)."""
    public_key: Path
    """What the customer backend verifies with."""


def spki_pin(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_tls(directory: Path, host: str = "127.0.0.1") -> TlsMaterial:
    """A self-signed certificate for `host` (and localhost), valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "userlink demo platform")])
    now = datetime.datetime.now(datetime.UTC)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "platform-cert.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = directory / "platform-key.pem"
    _write_private(key_path, _private_pem(key))
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    return TlsMaterial(certificate_path, key_path, spki_pin(public_key), spki_pin(other))


def make_attestation_keys(directory: Path) -> AttestationKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private_path = directory / "attestation-private.pem"
    _write_private(private_path, _private_pem(key))
    public_path = directory / "attestation-public.pem"
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return AttestationKeys(private_path, public_path)
