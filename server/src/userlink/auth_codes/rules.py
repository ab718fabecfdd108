from __future__ import annotations

import base64
import hashlib
import hmac
import string
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

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


class RedemptionOutcome(StrEnum):
    """What presenting a code may do."""

    CLAIM = "claim"  # unused and unexpired: this redemption takes it
    RETRY = "retry"  # taken moments ago by this same device: its answer was lost
    REPLAY = "replay"  # taken before, by another device or too long ago: refused and audited
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    OTHER_APP = "other_app"  # an unused code of another app than the one presenting it


@dataclass(frozen=True)
class StoredCode:
    app_id: uuid.UUID
    expires_at: datetime
    redeemed_at: datetime | None
    redemption_nonce_hash: str | None


def redemption_outcome(
    code: StoredCode | None,
    *,
    presented_nonce_hash: str,
    presented_app_id: uuid.UUID | None,
    now: datetime,
    retry_window_seconds: int,
) -> RedemptionOutcome:
    """The rule the database applies atomically (the claim is one UPDATE) and that explains a
    code that could not be claimed."""
    if code is None:
        return RedemptionOutcome.UNKNOWN
    same_app = presented_app_id is None or presented_app_id == code.app_id
    if code.redeemed_at is None:
        if not same_app:
            return RedemptionOutcome.OTHER_APP
        return RedemptionOutcome.CLAIM if now < code.expires_at else RedemptionOutcome.EXPIRED
    retry = is_retry(
        redeemed_at=code.redeemed_at,
        stored_nonce_hash=code.redemption_nonce_hash,
        presented_nonce_hash=presented_nonce_hash,
        now=now,
        window_seconds=retry_window_seconds,
    )
    return RedemptionOutcome.RETRY if retry and same_app else RedemptionOutcome.REPLAY


# RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters; an S256 challenge is the
# base64url (no padding) of its SHA-256: always 43 characters of the base64url alphabet.
VERIFIER_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~")
CHALLENGE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")
S256 = "S256"


def is_valid_verifier(verifier: str) -> bool:
    return 43 <= len(verifier) <= 128 and all(c in VERIFIER_CHARACTERS for c in verifier)


def is_valid_challenge(challenge: str) -> bool:
    return len(challenge) == 43 and all(c in CHALLENGE_CHARACTERS for c in challenge)


def s256_challenge(verifier: str) -> str:
    """code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class VerifierOutcome(StrEnum):
    """What a redemption's `code_verifier` says about the code's challenge."""

    UNBOUND = "unbound"  # no challenge, no verifier: a code as the vendor's contract has it
    PROVEN = "proven"  # the verifier matches the challenge
    MISMATCH = "mismatch"  # missing, wrong, or malformed for a bound code
    DOWNGRADE = "downgrade"  # a verifier for a code minted without a challenge


def verifier_outcome(challenge: str | None, verifier: str | None) -> VerifierOutcome:
    """The device proves it made the challenge the code was minted with. A device that sends a
    verifier expected a bound code: a code without a challenge means the challenge was lost or
    stripped on the way to the platform, and the code is refused like a wrong verifier."""
    if challenge is None:
        return VerifierOutcome.UNBOUND if verifier is None else VerifierOutcome.DOWNGRADE
    if verifier is None or not is_valid_verifier(verifier):
        return VerifierOutcome.MISMATCH
    proven = hmac.compare_digest(s256_challenge(verifier), challenge)
    return VerifierOutcome.PROVEN if proven else VerifierOutcome.MISMATCH
