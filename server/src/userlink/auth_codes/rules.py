from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

MAX_EXTERNAL_ID_LENGTH = 256
# Unicode categories an external id may not hold: control characters and surrogates.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def normalise_external_id(raw: str) -> str | None:
    """The external id as stored, or None when it cannot identify a user: empty, whitespace only,
    too long, or holding control characters (C0, DEL, C1) or lone surrogates (a JSON `\\ud800`
    escape: no database can store it). Surrounding whitespace is not part of an id."""
    value = raw.strip()
    if not value or len(value) > MAX_EXTERNAL_ID_LENGTH:
        return None
    if any(unicodedata.category(c) in REFUSED_CATEGORIES for c in value):
        return None
    return value


def expiry(issued_at: datetime, lifetime_seconds: int) -> datetime:
    return issued_at + timedelta(seconds=lifetime_seconds)


def is_retry(
    *,
    redeemed_at: datetime,
    stored_nonce_hash: str | None,
    presented_nonce_hash: str,
    now: datetime,
    window_seconds: int,
) -> bool:
    """A redemption by the same device (same installation nonce) shortly after the first one is
    a retry of a lost answer, not a replay."""
    return stored_nonce_hash == presented_nonce_hash and now - redeemed_at <= timedelta(
        seconds=window_seconds
    )
