"""Verifying a userlink webhook (the Standard Webhooks scheme), written out so you can port it:
HMAC-SHA256, keyed with the base64 bytes after `whsec_`, over `webhook-id.webhook-timestamp.body`;
`webhook-signature` holds one or more `v1,<base64>` (two while the platform rotates the secret).
A message older or newer than the tolerance is refused, so a captured one cannot be replayed
later; receivers dedupe on `webhook-id` (a message may arrive more than once)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
TOLERANCE = timedelta(minutes=5)


class InvalidWebhook(Exception):
    """The message is not from the platform, was altered, or is too old or too new."""


def expected_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("the webhook secret is not `whsec_` + base64") from error
    signed = f"{message_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def verify(
    secret: str, body: bytes, headers: Mapping[str, str], *, now: datetime
) -> dict[str, Any]:
    """The message's JSON body (`type`, `timestamp`, `data`) once its signature and timestamp
    check out; else `InvalidWebhook`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (message_id and timestamp and signatures):
        raise InvalidWebhook("webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidWebhook("webhook-timestamp is not a number of seconds") from None
    if abs(now.timestamp() - sent_at) > TOLERANCE.total_seconds():
        raise InvalidWebhook("the message is too old or too new")
    expected = expected_signature(secret, message_id, timestamp, body)
    for versioned in signatures.split():
        version, _, encoded = versioned.partition(",")
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if version == "v1" and hmac.compare_digest(candidate, expected):
            try:
                parsed: dict[str, Any] = json.loads(body)
            except ValueError:
                raise InvalidWebhook("the body is not JSON") from None
            return parsed
    raise InvalidWebhook("no signature matches")
