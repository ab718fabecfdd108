"""Batch limits and the timeline cursor, as pure functions."""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from userlink.kit.clock import as_utc

MAX_BATCH_SIZE = 100
MAX_PAYLOAD_BYTES = 65_536
# Under the default 1 MiB request limit, with room for the envelope.
MAX_BATCH_BYTES = 1_000_000
# How often the SDK is told to upload at most (it batches in between).
MIN_UPLOAD_INTERVAL_SECONDS = 30


# How deep a body may nest objects and arrays (the body itself is level 1): far more than any
# device needs, and far less than what the timeline's serializer can write back (about 250).
MAX_BODY_DEPTH = 64
# Integers a body may hold: signed 64-bit, what every JSON reader with 64-bit integers and every
# database's JSON functions can carry. Past it, readers round or refuse.
MIN_BODY_INTEGER = -(2**63)
MAX_BODY_INTEGER = 2**63 - 1

MAX_ROW_ID = 2**63 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


LONE_SURROGATE = "it holds a lone surrogate (a \\ud800-\\udfff escape outside a pair)"
# Every digit to "0", everything else to a space: a run of 19 zeros then marks the shortest text
# that can hold an integer beyond 64 bits (bytes.translate and `in` are one pass each in C).
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19


def encode_body(body: Any) -> tuple[bytes, None] | tuple[None, str]:
    """The body as compact UTF-8 JSON, as stored, or why it cannot be stored: `body_problem`'s
    reasons, or a lone surrogate (a JSON `\ud800` escape). pydantic's serializer, ten times faster
    than the standard library's on a payload. `body_problem`'s walk in Python runs only when the
    encoded text cannot rule its problems out (few enough brackets for the depth, no run of
    digits long enough to overflow 64 bits, no NaN or Infinity); for a usual body, one pass in
    Rust and a few scans of its bytes."""
    try:
        encoded = to_json(body, inf_nan_mode="constants")
    except PydanticSerializationError:
        return None, body_problem(body) or LONE_SURROGATE
    if _may_not_be_storable(encoded):
        problem = body_problem(body)
        if problem is not None:
            return None, problem
    return encoded, None


def _may_not_be_storable(encoded: bytes) -> bool:
    """Whether an encoded body's text leaves `body_problem`'s problems possible: brackets enough
    for the depth, a run of digits long enough to overflow 64 bits, NaN or Infinity."""
    return (
        encoded.count(b"{") + encoded.count(b"[") > MAX_BODY_DEPTH
        or b"NaN" in encoded
        or b"Infinity" in encoded
        or _NINETEEN_DIGITS in encoded.translate(_DIGITS_AS_ZEROS)
    )


def encode_bodies(bodies: Sequence[Any]) -> list[bytes] | None:
    """Every body encoded as `encode_body` encodes it, or None when any of them cannot be stored
    (`encode_body` then says which and why). The text scans run once over the whole batch: one
    space between two bodies keeps a run of digits, `NaN` or `Infinity` from spanning them."""
    try:
        encoded = [to_json(body, inf_nan_mode="constants") for body in bodies]
    except PydanticSerializationError:
        return None
    joined = b" ".join(encoded)
    if (
        b"NaN" in joined
        or b"Infinity" in joined
        or _NINETEEN_DIGITS in joined.translate(_DIGITS_AS_ZEROS)
        or any(text.count(b"{") + text.count(b"[") > MAX_BODY_DEPTH for text in encoded)
    ):
        # A scan matched: `encode_body`'s check, body by body, on the texts already made.
        for body, text in zip(bodies, encoded, strict=True):
            if _may_not_be_storable(text) and body_problem(body) is not None:
                return None
    return encoded


def body_problem(body: Any) -> str | None:
    """Why a body (parsed JSON) could not be served back exactly as it came, or None: it nests
    deeper than MAX_BODY_DEPTH, or holds an integer beyond 64 bits, or a number that is not finite
    (a JSON number too large for a double, such as 1e400, reads as Infinity). Iterative, so a
    hostile body cannot exhaust the stack here."""
    pending: list[tuple[Any, int]] = [([body], 0)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            return f"it nests deeper than {MAX_BODY_DEPTH} levels of objects and arrays"
        for value in container.values() if isinstance(container, dict) else container:
            kind = type(value)
            if kind is dict or kind is list:
                pending.append((value, depth + 1))
            elif kind is int and not MIN_BODY_INTEGER <= value <= MAX_BODY_INTEGER:
                return "it holds an integer beyond the signed 64-bit range"
            elif kind is float and not math.isfinite(value):
                return "it holds NaN, Infinity, or a number too large for a double"
    return None


def to_utc(moment: datetime) -> datetime | None:
    """The moment in UTC (stored so on every database), or None when it falls outside 1970-9999."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return None
    return utc if utc >= EARLIEST else None


def all_to_utc(moments: Sequence[datetime]) -> list[datetime] | None:
    """Every moment in UTC, or None when any falls outside 1970-9999 (`to_utc` says which)."""
    try:
        utc = [moment.astimezone(UTC) for moment in moments]
    except OverflowError:
        return None
    return utc if not utc or min(utc) >= EARLIEST else None


def first_duplicate(ids: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for payload_id in ids:
        if payload_id in seen:
            return payload_id
        seen.add(payload_id)
    return None


def encode_cursor(occurred_at: datetime, row_id: int) -> str:
    raw = f"{as_utc(occurred_at).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, _, row_text = base64.urlsafe_b64decode(padded).decode().partition("|")
        row_id = int(row_text)
        decoded = to_utc(as_utc(datetime.fromisoformat(moment)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if decoded is None or not 0 <= row_id <= MAX_ROW_ID:
        return None
    return decoded, row_id


@dataclass(frozen=True)
class HeldFilter:
    """Which held payloads of a user (sent while its install was inactive, not merged yet): of
    one install or all, occurred in [since, until)."""

    install_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
