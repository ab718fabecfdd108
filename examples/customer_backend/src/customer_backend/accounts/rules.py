"""Pure rules for accounts and session tokens: no database, no web framework."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

from customer_backend.accounts.errors import InvalidUsername, WeakPassword

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
USERNAME = re.compile(r"[A-Za-z0-9._@+-]{3,64}")
TOKEN_PREFIX = "cbs_"  # noqa: S105 - a prefix, recognisable by people and secret scanners


def username_key(username: str) -> str:
    """The form usernames are unique in: `Alice` and `alice` are one account."""
    return unicodedata.normalize("NFKC", username).casefold()


def check_username(username: str) -> str:
    """The username as stored, or InvalidUsername."""
    normalized = unicodedata.normalize("NFKC", username)
    if not USERNAME.fullmatch(normalized):
        raise InvalidUsername()
    return normalized


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword()


def new_session_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores of a session token. A plain SHA-256 is enough: the token carries
    256 random bits, so nobody can guess one from its hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
