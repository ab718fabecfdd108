"""Pure rules of idempotency keys: what a key may look like, what identifies a request, and what
presenting a key again may do."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MAX_KEY_LENGTH = 255
# Kept this long after the first request (Stripe keeps keys 24 hours).
KEY_LIFETIME = timedelta(hours=24)


def parse_key(raw: str) -> str | None:
    """The key as sent, or None when it is not 1 to 255 visible ASCII characters (no spaces,
    no control characters): keys are compared exactly, so nothing is trimmed."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH:
        return None
    if any(not ("!" <= c <= "~") for c in raw):
        return None
    return raw


def request_hash(method: str, path: str, canonical_body: bytes) -> str:
    """What identifies a request under one key: its method, its path and its body in canonical
    form (hex SHA-256; the body is hashed so the table never keeps a request's content)."""
    digest = hashlib.sha256()
    for part in (method.upper().encode("ascii"), path.encode("utf-8"), canonical_body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def expiry(now: datetime) -> datetime:
    return now + KEY_LIFETIME


class KeyOutcome(StrEnum):
    """What a request presenting a key that is already stored gets."""

    REPLAY = "replay"  # the same request, answered: its stored answer again
    REUSED = "reused"  # another request under the same key: refused
    IN_PROGRESS = "in_progress"  # the same key, its first request still running


@dataclass(frozen=True)
class StoredKey:
    request_hash: str
    status_code: int | None


def key_outcome(stored: StoredKey, presented_hash: str) -> KeyOutcome:
    if stored.request_hash != presented_hash:
        return KeyOutcome.REUSED
    if stored.status_code is None:
        return KeyOutcome.IN_PROGRESS
    return KeyOutcome.REPLAY
