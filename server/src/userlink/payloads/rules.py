"""Batch limits and the timeline cursor, as pure functions."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from userlink.kit.clock import as_utc

MAX_BATCH_SIZE = 100
MAX_PAYLOAD_BYTES = 65_536
MAX_BATCH_BYTES = 1_000_000


def body_size(body: Any) -> int | None:
    """Bytes of the body as compact UTF-8 JSON; None when it holds a lone surrogate (a JSON
    `\\ud800` escape), which no database can store as text."""
    try:
        return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:
        return None


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
        moment, _, row_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        return as_utc(datetime.fromisoformat(moment)), int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
