"""Use cases of attestation: issue a nonce to a session, consume it when a statement names it, and
check a request's statement with the configured verifier."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from customer_backend.accounts.service import SessionCaller
from customer_backend.attestation import repository
from customer_backend.attestation.errors import AttestationFailed
from customer_backend.attestation.verifiers import AttestationVerifier
from customer_backend.clock import Clock
from customer_backend.db import Database


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Attestation:
    database: Database
    clock: Clock
    verifier: AttestationVerifier
    nonce_lifetime: timedelta

    def issue_nonce(self, caller: SessionCaller) -> str:
        nonce = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.database.transaction() as connection:
            repository.delete_spent_nonces(connection, caller.session_id, now)
            repository.insert_nonce(
                connection,
                nonce_hash=nonce_hash(nonce),
                session_id=caller.session_id,
                expires_at=now + self.nonce_lifetime,
            )
        return nonce

    def check(self, caller: SessionCaller, statement: str | None) -> None:
        """Raises AttestationFailed unless the statement satisfies the verifier."""

        def consume(nonce: str) -> None:
            self.consume_nonce(caller, nonce)

        self.verifier.verify(statement, expected_nonce_check=consume)

    def consume_nonce(self, caller: SessionCaller, nonce: str) -> None:
        """Uses up a nonce this backend issued to this session; committed at once, so a nonce
        is spent even if the rest of the request fails."""
        hashed = nonce_hash(nonce)
        now = self.clock.now()
        with self.database.transaction() as connection:
            if repository.consume_nonce(
                connection, nonce_hash=hashed, session_id=caller.session_id, now=now
            ):
                return
            row = repository.nonce_by_hash(connection, hashed)
        if row is None or row.session_id != caller.session_id:
            raise AttestationFailed("nonce", "the nonce was not issued to this session")
        if row.used_at is not None:
            raise AttestationFailed("nonce", "the nonce was already used")
        raise AttestationFailed("nonce", "the nonce has expired; get a new one")
