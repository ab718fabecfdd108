from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

MIN_CODE_LIFETIME_SECONDS = 10
MAX_CODE_LIFETIME_SECONDS = 600
MAX_NAME_LENGTH = 200
# How long a restore or a link may be undone (usecases/undo.py): 7 days unless the app says.
DEFAULT_UNDO_WINDOW_SECONDS = 7 * 24 * 3600
MIN_UNDO_WINDOW_SECONDS = 60
MAX_UNDO_WINDOW_SECONDS = 90 * 24 * 3600
# How long a replaced app secret may keep opening legacy SDK inits: long enough to ship an app
# update, short enough that a leaked secret does not linger.
MAX_SECRET_OVERLAP = timedelta(days=7)


def is_valid_code_lifetime(seconds: int) -> bool:
    return MIN_CODE_LIFETIME_SECONDS <= seconds <= MAX_CODE_LIFETIME_SECONDS


def is_valid_undo_window(seconds: int) -> bool:
    return MIN_UNDO_WINDOW_SECONDS <= seconds <= MAX_UNDO_WINDOW_SECONDS


def clean_name(text: str) -> str | None:
    """The app's name as stored (trimmed), or None when it is empty or too long."""
    name = text.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    return name


def is_valid_secret_overlap(overlap: timedelta) -> bool:
    return timedelta(0) <= overlap <= MAX_SECRET_OVERLAP


def previous_secret_open(expires_at: datetime | None, now: datetime) -> bool:
    """Whether the secret replaced by a rotation still opens legacy SDK inits."""
    return expires_at is not None and now < expires_at


# External ids that are placeholders, not identities: what a backend sends when its user's id was
# never filled in (a default value, a serialised null, a QA account). Every user of every app
# sending one would merge into one platform user. Compared trimmed and case-folded.
PLACEHOLDER_EXTERNAL_IDS = frozenset(
    {
        "null",
        "(null)",
        "<null>",
        "nil",
        "none",
        "undefined",
        "nan",
        "void",
        "-1",
        "[object object]",
        "{}",
        "[]",
        '""',
        "''",
        "n/a",
        "na",
        "anonymous",
        "anon",
        "unknown",
        "guest",
        "test",
        "user",
        "default",
        "demo",
        "example",
        "placeholder",
        "changeme",
        "string",  # what Swagger UI's "Try it out" fills a string field with
        "false",
        "true",
    }
)
# A run of zeros ("0", "000000"), or an all-zero UUID with or without dashes or braces.
_ZERO_SEPARATORS = str.maketrans("", "", "-{}")
# A template variable nobody filled in: `${userId}`, `{{ user.id }}`, `<your user id>`.
_UNFILLED_TEMPLATES = (("${", "}"), ("{{", "}}"), ("<", ">"))
# An app's own lists hold at most this many values each; each value at most this long (the
# longest external id).
MAX_LISTED_EXTERNAL_IDS = 100
MAX_LISTED_EXTERNAL_ID_LENGTH = 256


def external_id_key(external_id: str) -> str:
    """What placeholder lists compare: the id trimmed and case-folded (`NULL`, ` Null ` and
    `null` are one placeholder)."""
    return external_id.strip().casefold()


def is_default_placeholder(key: str) -> bool:
    """Whether the platform refuses this key (`external_id_key`) unless the app allows it."""
    if key in PLACEHOLDER_EXTERNAL_IDS or not key:
        return True
    if any(
        key.startswith(opening) and key.endswith(closing) and len(key) > len(opening + closing)
        for opening, closing in _UNFILLED_TEMPLATES
    ):
        return True
    digits = key.translate(_ZERO_SEPARATORS)
    # Zeros only: "0", "0000", and the nil UUID in its usual spellings.
    return bool(digits) and set(digits) == {"0"} and (key == digits or len(digits) == 32)


def is_placeholder_external_id(
    external_id: str,
    *,
    blocked: frozenset[str] = frozenset(),
    allowed: frozenset[str] = frozenset(),
) -> bool:
    """Whether an app refuses `external_id` as a placeholder: the app's `blocked` keys, and the
    platform's defaults except the app's `allowed` keys (an app whose users really are called
    `test`). The app's lists hold keys (`external_id_key`); `blocked` wins over `allowed`."""
    key = external_id_key(external_id)
    if key in blocked:
        return True
    return is_default_placeholder(key) and key not in allowed


def clean_external_id_list(values: Iterable[str]) -> frozenset[str] | None:
    """An app's list as stored: the keys of `values` (blank lines dropped), or None when one is
    too long or holds control characters, or there are too many."""
    keys: set[str] = set()
    for value in values:
        key = external_id_key(value)
        if not key:
            continue
        if len(key) > MAX_LISTED_EXTERNAL_ID_LENGTH or any(
            unicodedata.category(c) in ("Cc", "Cs") for c in key
        ):
            return None
        keys.add(key)
    if len(keys) > MAX_LISTED_EXTERNAL_IDS:
        return None
    return frozenset(keys)


def edited_external_id_lists(
    blocked: frozenset[str],
    allowed: frozenset[str],
    *,
    block: Iterable[str] = (),
    allow: Iterable[str] = (),
    unlist: Iterable[str] = (),
) -> tuple[frozenset[str], frozenset[str]] | None:
    """An app's (blocked, allowed) lists after blocking, allowing and unlisting (back to the
    platform's default) some values: a value blocked leaves the allowed list and the other way
    round. None when a value is malformed or is both blocked and allowed at once."""
    to_block = clean_external_id_list(block)
    to_allow = clean_external_id_list(allow)
    to_unlist = clean_external_id_list(unlist)
    if to_block is None or to_allow is None or to_unlist is None or to_block & to_allow:
        return None
    return (
        (blocked | to_block) - to_allow - to_unlist,
        (allowed | to_allow) - to_block - to_unlist,
    )


class PkcePolicy(StrEnum):
    """Whether an app's codes are bound to the device that redeems them (PKCE, RFC 7636)."""

    OFF = "off"  # codes are never bound; a challenge sent is refused, not ignored
    OPTIONAL = "optional"  # a code is bound when the backend sends a challenge (the default)
    REQUIRED = "required"  # every code must be bound: minting without a challenge is refused
