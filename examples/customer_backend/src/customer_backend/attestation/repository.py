"""The only place that queries attestation nonces."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, or_, select, update

from customer_backend.clock import as_utc
from customer_backend.models import attestation_nonces


@dataclass(frozen=True)
class NonceRow:
    session_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None


def insert_nonce(
    connection: Connection, *, nonce_hash: str, session_id: uuid.UUID, expires_at: datetime
) -> None:
    connection.execute(
        insert(attestation_nonces).values(
            nonce_hash=nonce_hash, session_id=session_id, expires_at=expires_at, used_at=None
        )
    )


def delete_spent_nonces(connection: Connection, session_id: uuid.UUID, now: datetime) -> None:
    connection.execute(
        delete(attestation_nonces).where(
            attestation_nonces.c.session_id == session_id,
            or_(attestation_nonces.c.used_at.is_not(None), attestation_nonces.c.expires_at <= now),
        )
    )


def consume_nonce(
    connection: Connection, *, nonce_hash: str, session_id: uuid.UUID, now: datetime
) -> bool:
    """Marks the nonce used if it is this session's, unused and unexpired: one atomic UPDATE, so
    of any number of concurrent uses exactly one wins."""
    result = connection.execute(
        update(attestation_nonces)
        .where(
            attestation_nonces.c.nonce_hash == nonce_hash,
            attestation_nonces.c.session_id == session_id,
            attestation_nonces.c.used_at.is_(None),
            attestation_nonces.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


def nonce_by_hash(connection: Connection, nonce_hash: str) -> NonceRow | None:
    row = connection.execute(
        select(
            attestation_nonces.c.session_id,
            attestation_nonces.c.expires_at,
            attestation_nonces.c.used_at,
        ).where(attestation_nonces.c.nonce_hash == nonce_hash)
    ).first()
    if row is None:
        return None
    used_at = as_utc(row.used_at) if row.used_at is not None else None
    return NonceRow(row.session_id, as_utc(row.expires_at), used_at)
