"""Logging in to the dashboard: the password (checked by the caller off the unit of work, see
accounts/service.py), then the second factor when the account has one."""

from __future__ import annotations

import uuid

from userlink.accounts import service as accounts
from userlink.accounts.errors import InvalidLogin, InvalidSecondFactor
from userlink.audit.rules import AuditEvent
from userlink.dashboard_sessions import service as sessions
from userlink.dashboard_sessions.service import Session, StartedSession
from userlink.unit_of_work import UnitOfWork


class LoginRefused(InvalidLogin):
    # The failed attempt stays in the audit log.
    keep_changes = True


class SecondFactorRefused(InvalidSecondFactor):
    keep_changes = True


def refuse_password(work: UnitOfWork, account_id: uuid.UUID | None) -> None:
    work.audit.record(
        AuditEvent.LOGIN_FAILED,
        app_id=None,
        actor=accounts.actor(account_id) if account_id else None,
        reason="password",
    )
    raise LoginRefused()


def begin(
    work: UnitOfWork,
    account_id: uuid.UUID,
    *,
    client_address: str,
    user_agent: str | None,
    rehashed_password: str | None,
) -> StartedSession:
    """A session after a right password; complete at once for an account without TOTP."""
    account = accounts.get_account(work, account_id)
    if rehashed_password is not None:
        accounts.store_rehashed_password(work, account_id, rehashed_password)
    started = sessions.start(
        work,
        account_id,
        second_factor_done=not account.totp_enabled,
        client_address=client_address,
        user_agent=user_agent,
    )
    if not account.totp_enabled:
        work.audit.record(
            AuditEvent.LOGIN_SUCCEEDED,
            app_id=None,
            actor=accounts.actor(account_id),
            second_factor=False,
        )
    return started


def complete(work: UnitOfWork, session: Session, code: str) -> None:
    try:
        accounts.check_second_factor(work, session.account_id, code)
    except InvalidSecondFactor:
        work.audit.record(
            AuditEvent.LOGIN_FAILED,
            app_id=None,
            actor=accounts.actor(session.account_id),
            reason="second_factor",
        )
        raise SecondFactorRefused() from None
    sessions.complete_second_factor(work, session)
