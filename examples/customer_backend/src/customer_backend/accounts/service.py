"""Use cases of accounts: sign up, log in, log out, authenticate a session token.

Each use case opens its own short transactions: password hashing (~100 ms) never runs inside a
transaction, so it never holds SQLite's write lock or a PostgreSQL connection.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from customer_backend.accounts import repository, rules
from customer_backend.accounts.errors import InvalidLogin, InvalidSession, UsernameTaken
from customer_backend.accounts.passwords import Passwords
from customer_backend.clock import Clock
from customer_backend.db import Database

logger = logging.getLogger("customer_backend.accounts")


@dataclass(frozen=True)
class IssuedSession:
    token: str
    user_id: uuid.UUID


@dataclass(frozen=True)
class SessionCaller:
    """Who is calling: the only source of the user id this backend hands the platform."""

    user_id: uuid.UUID
    session_id: uuid.UUID


@dataclass(frozen=True)
class Accounts:
    database: Database
    passwords: Passwords
    clock: Clock
    session_lifetime: timedelta

    def sign_up(self, username: str, password: str) -> IssuedSession:
        name = rules.check_username(username)
        rules.check_password(password)
        key = rules.username_key(name)
        with self.database.transaction() as connection:
            if repository.username_key_exists(connection, key):
                raise UsernameTaken()
        password_hash = self.passwords.hash(password)
        user_id = uuid.uuid4()
        try:
            with self.database.transaction() as connection:
                repository.insert_account(
                    connection,
                    account_id=user_id,
                    username=name,
                    username_key=key,
                    password_hash=password_hash,
                    now=self.clock.now(),
                )
                token = self._open_session(connection, user_id)
        except IntegrityError:
            # Another sign-up took the name between the check and the insert.
            raise UsernameTaken() from None
        logger.info("account created: user %s", user_id)
        return IssuedSession(token=token, user_id=user_id)

    def log_in(self, username: str, password: str) -> IssuedSession:
        with self.database.transaction() as connection:
            account = repository.account_by_username_key(connection, rules.username_key(username))
        if not self.passwords.verify(account.password_hash if account else None, password):
            raise InvalidLogin()
        assert account is not None
        # Cost parameters raised since this hash was made: store a new one.
        new_hash = None
        if self.passwords.needs_rehash(account.password_hash):
            new_hash = self.passwords.hash(password)
        with self.database.transaction() as connection:
            if new_hash is not None:
                repository.update_password_hash(connection, account.id, new_hash)
            repository.delete_expired_sessions(connection, account.id, self.clock.now())
            token = self._open_session(connection, account.id)
        return IssuedSession(token=token, user_id=account.id)

    def log_out(self, caller: SessionCaller) -> None:
        with self.database.transaction() as connection:
            repository.delete_session(connection, caller.session_id)

    def authenticate(self, token: str) -> SessionCaller:
        if not token.startswith(rules.TOKEN_PREFIX):
            raise InvalidSession()
        with self.database.transaction() as connection:
            session = repository.session_by_token_hash(connection, rules.token_hash(token))
        if session is None or session.expires_at <= self.clock.now():
            raise InvalidSession()
        return SessionCaller(user_id=session.account_id, session_id=session.id)

    def _open_session(self, connection: Connection, account_id: uuid.UUID) -> str:
        token = rules.new_session_token()
        now = self.clock.now()
        repository.insert_session(
            connection,
            account_id=account_id,
            token_hash=rules.token_hash(token),
            now=now,
            expires_at=now + self.session_lifetime,
        )
        return token
