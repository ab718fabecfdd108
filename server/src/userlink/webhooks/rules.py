"""Pure rules of webhooks: which URLs and addresses may receive them, which endpoint wants which
event, the message's body and signatures (Standard Webhooks), and the retry schedule."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from userlink.kit.clock import iso_utc

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of signing secrets, not a secret
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200
MAX_ENDPOINTS_PER_APP = 20
MAX_SECRET_OVERLAP = timedelta(days=7)
# A message no receiver accepted within this long after its first attempt is a dead letter.
RETRY_HORIZON = timedelta(days=3)
FIRST_RETRY_DELAY = timedelta(seconds=5)
RETRY_FACTOR = 4
MAX_RETRY_DELAY = timedelta(hours=8)
# Each wait is the nominal delay times a factor drawn in [1 - JITTER, 1 + JITTER).
JITTER = 0.25
# The event type of the message `POST /v2/webhooks/{id}/test` sends (not an identity event).
TEST_EVENT = "webhook.test"


class Status:
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


STATUSES = (Status.PENDING, Status.DELIVERED, Status.DEAD)


def nominal_retry_delay(failed_attempts: int) -> timedelta:
    """The wait after the `failed_attempts`-th failed attempt, before jitter: 5 s, 20 s, 80 s,
    … growing fourfold up to 8 hours."""
    exponent = min(max(failed_attempts, 1) - 1, 20)
    delay: timedelta = FIRST_RETRY_DELAY * int(RETRY_FACTOR**exponent)
    return min(delay, MAX_RETRY_DELAY)


def next_attempt_at(
    retry_from: datetime, failed_attempts: int, now: datetime, rand: float
) -> datetime | None:
    """When to try again after a failed attempt at `now` (`rand` in [0, 1) draws the jitter), or
    None when the message is dead: the retry window opened at `retry_from` is over. The last
    attempt falls on the window's end."""
    deadline = retry_from + RETRY_HORIZON
    if now >= deadline:
        return None
    factor = 1 - JITTER + 2 * JITTER * min(max(rand, 0.0), 1.0)
    return min(now + nominal_retry_delay(failed_attempts) * factor, deadline)


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet: not private, loopback, link-local,
    multicast, reserved or unspecified (an IPv4 address mapped into IPv6 judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_is_acceptable(url: str, *, insecure_allowed: bool) -> bool:
    """An absolute http(s) URL with a host; outside development https only, and not an IP
    literal that is private, loopback or link-local (names are checked again at delivery, on
    the address they resolve to)."""
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return False
    if insecure_allowed:
        return True
    if parts.scheme != "https" or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return is_public_address(host)


def event_types_are_known(types: Sequence[str] | None, known: Iterable[str]) -> bool:
    """None (every type), or a non-empty list of known types."""
    return types is None or (bool(types) and frozenset(types) <= frozenset(known))


def wants(event_types: frozenset[str] | None, event: str) -> bool:
    return event_types is None or event in event_types


def message_id(serial: str) -> str:
    return f"msg_{serial}"


def message_body(event: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body of a message (Standard Webhooks: `type`, `timestamp`, `data`), compact."""
    return json.dumps(
        {"type": event, "timestamp": iso_utc(occurred_at), "data": data},
        separators=(",", ":"),
        default=str,
    )


def signature_header(secrets: Sequence[str], message: str, timestamp: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret (two during a rotation's overlap),
    separated by spaces; HMAC-SHA256 over `id.timestamp.body`."""
    return " ".join(Webhook(secret).sign(message, timestamp, body) for secret in secrets)


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


GONE = 410
