"""The only place that queries accounts and sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from customer_backend.clock import as_utc
from customer_backend.models import accounts, attestation_nonces, sessions


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    username: str
    password_hash: str


@dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    account_id: uuid.UUID
    expires_at: datetime


def insert_account(
    connection: Connection,
    *,
    account_id: uuid.UUID,
    username: str,
    username_key: str,
    password_hash: str,
    now: datetime,
) -> None:
    connection.execute(
        insert(accounts).values(
            id=account_id,
            username=username,
            username_key=username_key,
            password_hash=password_hash,
            created_at=now,
        )
    )


def account_by_username_key(connection: Connection, username_key: str) -> AccountRow | None:
    row = connection.execute(
        select(accounts.c.id, accounts.c.username, accounts.c.password_hash).where(
            accounts.c.username_key == username_key
        )
    ).first()
    return AccountRow(row.id, row.username, row.password_hash) if row else None


def username_key_exists(connection: Connection, username_key: str) -> bool:
    query = select(accounts.c.id).where(accounts.c.username_key == username_key)
    return connection.execute(query).first() is not None


def update_password_hash(connection: Connection, account_id: uuid.UUID, password_hash: str) -> None:
    connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
    )


def insert_session(
    connection: Connection,
    *,
    account_id: uuid.UUID,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
) -> uuid.UUID:
    session_id = uuid.uuid4()
    connection.execute(
        insert(sessions).values(
            id=session_id,
            account_id=account_id,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return session_id


def session_by_token_hash(connection: Connection, token_hash: str) -> SessionRow | None:
    row = connection.execute(
        select(sessions.c.id, sessions.c.account_id, sessions.c.expires_at).where(
            sessions.c.token_hash == token_hash
        )
    ).first()
    return SessionRow(row.id, row.account_id, as_utc(row.expires_at)) if row else None


def delete_session(connection: Connection, session_id: uuid.UUID) -> None:
    connection.execute(
        delete(attestation_nonces).where(attestation_nonces.c.session_id == session_id)
    )
    connection.execute(delete(sessions).where(sessions.c.id == session_id))


def delete_expired_sessions(connection: Connection, account_id: uuid.UUID, now: datetime) -> None:
    expired = select(sessions.c.id).where(
        sessions.c.account_id == account_id, sessions.c.expires_at <= now
    )
    connection.execute(
        delete(attestation_nonces).where(attestation_nonces.c.session_id.in_(expired))
    )
    connection.execute(
        delete(sessions).where(sessions.c.account_id == account_id, sessions.c.expires_at <= now)
    )
