"""Dashboard sessions. A session starts at the password; one that still owes its second factor
opens only the second-factor page (`second_factor_at` is NULL until then)."""

from __future__ import annotations

import secrets as stdlib_secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from userlink.audit.rules import AuditEvent
from userlink.dashboard_sessions import rules
from userlink.dashboard_sessions.errors import SessionInvalid
from userlink.dashboard_sessions.repository import SessionRepository
from userlink.dashboard_sessions.rules import SessionState
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork

MAX_USER_AGENT = 200


@dataclass(frozen=True)
class Session:
    id: uuid.UUID
    account_id: uuid.UUID
    email: str
    is_operator: bool
    must_change_password: bool
    totp_enabled: bool
    second_factor_done: bool
    created_at: datetime


@dataclass(frozen=True)
class StartedSession:
    session: Session
    token: str  # for the cookie only


def _token_hash(work: UnitOfWork, token: str) -> str:
    return work.hasher.hash(f"dashboard-session:{token}")


def _limits(work: UnitOfWork) -> tuple[timedelta, timedelta]:
    settings = work.settings
    return (
        timedelta(minutes=settings.dashboard_session_idle_minutes),
        timedelta(hours=settings.dashboard_session_absolute_hours),
    )


def start(
    work: UnitOfWork,
    account_id: uuid.UUID,
    *,
    second_factor_done: bool,
    client_address: str | None,
    user_agent: str | None,
) -> StartedSession:
    token = stdlib_secrets.token_urlsafe(32)
    now = work.clock.now()
    _idle, absolute = _limits(work)
    session_id = new_id()
    SessionRepository(work.connection).insert(
        id=session_id,
        account_id=account_id,
        token_hash=_token_hash(work, token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + absolute,
        second_factor_at=now if second_factor_done else None,
        client_address=(client_address or "")[:64] or None,
        user_agent=(user_agent or "")[:MAX_USER_AGENT] or None,
    )
    return StartedSession(session=find(work, token), token=token)


def find(work: UnitOfWork, token: str) -> Session:
    """The live session the cookie names, its last-seen time moved on; else SessionInvalid."""
    repository = SessionRepository(work.connection)
    row = repository.by_token_hash(_token_hash(work, token)) if token else None
    if row is None:
        raise SessionInvalid()
    now = work.clock.now()
    idle, _absolute = _limits(work)
    last_seen_at = as_utc(row["last_seen_at"])
    state = rules.session_state(
        now,
        last_seen_at=last_seen_at,
        expires_at=as_utc(row["expires_at"]),
        revoked_at=row["revoked_at"],
        idle_limit=idle,
    )
    if state is not SessionState.ACTIVE:
        raise SessionInvalid()
    if rules.needs_touch(now, last_seen_at):
        repository.update(row["id"], last_seen_at=now)
    return Session(
        id=row["id"],
        account_id=row["account_id"],
        email=row["email"],
        is_operator=row["is_operator"],
        must_change_password=row["must_change_password"],
        totp_enabled=row["totp_enabled_at"] is not None,
        second_factor_done=row["second_factor_at"] is not None,
        created_at=as_utc(row["created_at"]),
    )


def complete_second_factor(work: UnitOfWork, session: Session) -> None:
    SessionRepository(work.connection).update(session.id, second_factor_at=work.clock.now())
    work.audit.record(
        AuditEvent.LOGIN_SUCCEEDED,
        app_id=None,
        actor=f"account:{session.account_id}",
        second_factor=True,
    )


def end(work: UnitOfWork, session: Session) -> None:
    SessionRepository(work.connection).update(session.id, revoked_at=work.clock.now())
    work.audit.record(AuditEvent.LOGOUT, app_id=None, actor=f"account:{session.account_id}")


def end_all(work: UnitOfWork, account_id: uuid.UUID, *, keep: Session | None = None) -> int:
    """End every session of the account (but `keep`, the one asking, when given)."""
    ended = SessionRepository(work.connection).revoke_all(
        account_id, work.clock.now(), keep=keep.id if keep else None
    )
    work.audit.record(
        AuditEvent.SESSIONS_REVOKED, app_id=None, actor=f"account:{account_id}", sessions=ended
    )
    return ended
