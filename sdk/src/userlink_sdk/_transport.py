"""The SDK's HTTP transport, with optional public key pinning.

A pin is the SHA-256 of the server certificate's SubjectPublicKeyInfo (SPKI, DER), the form
used by HPKP and OkHttp's `CertificatePinner`: it survives certificate renewals that keep the
key. The check runs inside the TLS handshake (an `ssl.SSLSocket` / `ssl.SSLObject` subclass
installed on the SSL context), so on a mismatch the connection is closed before a single byte of
the request, which may carry an authentication code or a refresh token, is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import ssl
from collections.abc import Iterable, Sequence

import httpx

from ._errors import PinningError

__all__ = [
    "build_async_transport",
    "build_transport",
    "check_transport_options",
    "parse_pins",
    "spki_sha256",
    "subject_public_key_info",
]

_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def parse_pins(pins: str | Sequence[str]) -> frozenset[bytes]:
    """Decode pins given as base64 (optionally `sha256/...`) or hex (colons allowed)."""
    items = [pins] if isinstance(pins, str) else list(pins)
    if not items:
        raise ValueError("pinned_public_key_sha256: at least one pin is needed")
    decoded = set()
    for item in items:
        text = item.strip().removeprefix("sha256/").replace(":", "")
        if _HEX.match(text):
            digest = bytes.fromhex(text)
        else:
            try:
                digest = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                digest = b""
        if len(digest) != hashlib.sha256().digest_size:
            raise ValueError(
                f"pinned_public_key_sha256: {item!r} is neither the base64 nor the hex form "
                "of a SHA-256 digest"
            )
        decoded.add(digest)
    return frozenset(decoded)


def _read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """Read one DER element at `offset`: (tag, start of content, end of content)."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not expected in a certificate header")
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def subject_public_key_info(certificate_der: bytes) -> bytes:
    """The DER of the SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1)."""
    sequence = 0x30
    tag, cert_start, _ = _read_tlv(certificate_der, 0)
    if tag != sequence:
        raise ValueError("not a certificate")
    tag, offset, tbs_end = _read_tlv(certificate_der, cert_start)
    if tag != sequence:
        raise ValueError("not a TBSCertificate")
    tag, _, end = _read_tlv(certificate_der, offset)
    if tag == 0xA0:  # [0] EXPLICIT version
        offset = end
    # serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
    for _ in range(5):
        _, _, offset = _read_tlv(certificate_der, offset)
    tag, _, end = _read_tlv(certificate_der, offset)
    if tag != sequence or end > tbs_end:
        raise ValueError("no SubjectPublicKeyInfo where expected")
    return certificate_der[offset:end]


def spki_sha256(certificate_der: bytes) -> bytes:
    return hashlib.sha256(subject_public_key_info(certificate_der)).digest()


def _check_pin(certificate_der: bytes | None, pins: Iterable[bytes]) -> None:
    if not certificate_der:
        raise PinningError("the server sent no certificate")
    try:
        actual = spki_sha256(certificate_der)
    except ValueError as exc:
        raise PinningError(f"the server certificate cannot be parsed ({exc})") from exc
    if not any(hmac.compare_digest(actual, pin) for pin in pins):
        raise PinningError(
            "the server key's SHA-256 is "
            + base64.b64encode(actual).decode()
            + ", not a pinned one"
        )


def _pinning_context(context: ssl.SSLContext, pins: frozenset[bytes]) -> ssl.SSLContext:
    class PinnedSSLSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            try:
                _check_pin(self.getpeercert(binary_form=True), pins)
            except PinningError:
                self.close()
                raise

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            _check_pin(self.getpeercert(binary_form=True), pins)

    context.sslsocket_class = PinnedSSLSocket
    context.sslobject_class = PinnedSSLObject
    return context


def _ssl_context(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext:
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


def check_transport_options(
    transport: object, pins: str | Sequence[str] | None, verify: ssl.SSLContext | str | bool
) -> None:
    """A transport of the app's own excludes the options of the SDK's transport."""
    if transport is not None and pins is not None:
        raise ValueError(
            "pinned_public_key_sha256 applies to the SDK's own transport: "
            "pass either transport or pinned_public_key_sha256"
        )
    if transport is not None and verify is not True:
        raise ValueError(
            "verify applies to the SDK's own transport: pass either transport or verify"
        )


def _context(verify: ssl.SSLContext | str | bool, pins: frozenset[bytes] | None) -> ssl.SSLContext:
    context = _ssl_context(verify)
    return _pinning_context(context, pins) if pins else context


def build_transport(
    *,
    verify: ssl.SSLContext | str | bool = True,
    pins: frozenset[bytes] | None = None,
) -> httpx.HTTPTransport:
    """The transport the SDK uses when the app passes none.

    `verify`: True (the certifi CA bundle), a CA bundle path (a self-hosted platform behind a
    private CA), an `ssl.SSLContext`, or False. With `pins`, the pin is checked in addition to
    `verify`; `verify=False` with a pin trusts the pinned key alone.
    """
    return httpx.HTTPTransport(verify=_context(verify, pins))


def build_async_transport(
    *,
    verify: ssl.SSLContext | str | bool = True,
    pins: frozenset[bytes] | None = None,
) -> httpx.AsyncHTTPTransport:
    """`build_transport` for `AsyncUserLink`: the same checks (the pin is checked by the
    `ssl.SSLObject` the event loop's TLS uses)."""
    return httpx.AsyncHTTPTransport(verify=_context(verify, pins))
