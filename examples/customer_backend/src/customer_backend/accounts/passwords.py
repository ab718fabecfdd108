"""Password hashing with argon2id (argon2-cffi's default parameters: 64 MiB, 3 passes; about
100 ms per hash on a server core, acceptable for login and sign-up)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A hash of nothing anybody knows, with argon2-cffi's default parameters: verifying a login
# attempt for an unknown username against it costs the same as for a real account.
_DEFAULT_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$HodV0eaZOU+TYRX7O1XoEQ"
    "$Q02JrDkpCNEXfayBG5+kCpFr5HdKRWkDEHS4WF8Ka4M"
)


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = _DEFAULT_DUMMY_HASH
        if self._hasher.check_needs_rehash(self._dummy_hash):
            self._dummy_hash = self._hasher.hash("not a password: a dummy to equalise timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether the password matches. With no stored hash (unknown username) the same work is
        done against the dummy hash, so timing does not tell which usernames exist."""
        try:
            matches = self._hasher.verify(stored_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
