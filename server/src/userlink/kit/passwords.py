"""Password hashes with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

# Checked when an account is unknown, so that a wrong email costs the same time as a wrong
# password and does not tell which accounts exist.
_DECOY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$xDtw0TgPvXbenpbhEDpaVg$"
    "JICxjGOleG0WVjNmzhGQZK87gZcSDWi2VLFeilc8udw"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an unknown account (None) takes as long and is False."""
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
