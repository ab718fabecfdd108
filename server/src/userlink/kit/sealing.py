"""Secrets the server must read back (TOTP seeds), encrypted with a key derived from the server's
secret key (Fernet: AES-128-CBC + HMAC-SHA256). Changing USERLINK_SECRET_KEY makes them unreadable,
as it invalidates every keyed hash."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class Sealer:
    def __init__(self, secret_key: str, purpose: str) -> None:
        # A key per purpose, so that a value sealed for one use cannot be opened for another.
        digest = hashlib.sha256(f"userlink-seal:{purpose}:{secret_key}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The text, or None when it was sealed with another key or altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            return None
