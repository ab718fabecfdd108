"""Secrets shown to people: recognisable prefix, high entropy, checksum; stored as keyed hashes.

Format: `<prefix>_<40 base62 random><6 base62 CRC32 of everything before it>`, e.g. `ulk_…`.
The prefix lets secret scanners and people recognise a leaked userlink credential; the checksum lets
us refuse a mistyped or truncated token without a database lookup. CRC32 detects every change of a
single character, and 6 base62 digits hold all 2**32 values, so no single change goes unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from enum import StrEnum

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 40
CHECKSUM_LENGTH = 6


class SecretKind(StrEnum):
    # Prefixes, not secrets.
    API_KEY = "ulk"
    APP_SECRET = "uls"  # noqa: S105
    ACCESS_TOKEN = "ula"  # noqa: S105
    REFRESH_TOKEN = "ulr"  # noqa: S105


def _base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, rest = divmod(value, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


def checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


# Every string of RANDOM_LENGTH base62 digits is one integer below this, and back.
_RANDOM_RANGE = 62**RANDOM_LENGTH


def generate(kind: SecretKind) -> str:
    # One uniform integer below 62**40, written in base62: 40 uniform, independent digits from one
    # draw of the system's randomness (a draw per digit cost ~50 µs per token).
    body = _base62(secrets.randbelow(_RANDOM_RANGE), RANDOM_LENGTH)
    head = f"{kind.value}_{body}"
    return head + checksum(head)


def parse_kind(token: str) -> SecretKind | None:
    """The kind of a well-formed token with a valid checksum, else None."""
    expected_length = 4 + RANDOM_LENGTH + CHECKSUM_LENGTH
    if len(token) != expected_length or not token.isascii() or token[3] != "_":
        return None
    try:
        kind = SecretKind(token[:3])
    except ValueError:
        return None
    head, tail = token[:-CHECKSUM_LENGTH], token[-CHECKSUM_LENGTH:]
    if token[4:].strip(BASE62):  # something left: a character outside base62
        return None
    if not hmac.compare_digest(checksum(head), tail):
        return None
    return kind


def looks_like(token: str, kind: SecretKind) -> bool:
    return token.startswith(f"{kind.value}_")


def generate_auth_code() -> str:
    """64 random bytes, hex: the vendor's authentication_code shape (128 characters)."""
    return secrets.token_hex(64)


class SecretHasher:
    """HMAC-SHA256 keyed with the server secret: fast enough for every request, useless if leaked
    without the key. A password hash would cost ~100 ms per request and buys nothing for 238-bit
    random tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def hash(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()

    def matches(self, secret: str, expected_hash: str) -> bool:
        return hmac.compare_digest(self.hash(secret), expected_hash)
