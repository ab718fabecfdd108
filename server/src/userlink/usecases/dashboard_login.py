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
from userlink.usecases.dashboard_access import Viewer


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


def _check_second_factor(
    work: UnitOfWork, session: Session, code: str, refusal: str | None = None
) -> None:
    """The account's current code or a recovery code; a wrong one is audited and refused."""
    try:
        accounts.check_second_factor(work, session.account_id, code)
    except InvalidSecondFactor:
        work.audit.record(
            AuditEvent.LOGIN_FAILED,
            app_id=None,
            actor=accounts.actor(session.account_id),
            reason="second_factor",
        )
        raise SecondFactorRefused(refusal) from None


def complete(work: UnitOfWork, session: Session, code: str) -> None:
    _check_second_factor(work, session, code)
    sessions.complete_second_factor(work, session)


def change_password(work: UnitOfWork, session: Session, password_hash: str) -> None:
    """A new password ends the account's other sessions: whoever held one on the old password
    must log in again."""
    accounts.set_password(work, session.account_id, password_hash=password_hash)
    sessions.end_all(work, session.account_id, keep=session)


def enrol_second_factor(
    work: UnitOfWork, session: Session, code: str, current_code: str
) -> list[str]:
    """Confirm a new authenticator with its `code`. Moving to a new one also needs a code of the
    current authenticator (or a recovery code), so a session alone cannot take the account's
    second factor over; the account's other sessions end."""
    if session.totp_enabled:
        _check_second_factor(
            work,
            session,
            current_code,
            "Give a code of your current authenticator (or a recovery code) to move it.",
        )
    codes = accounts.confirm_totp_enrolment(work, session.account_id, code)
    if not session.second_factor_done:
        sessions.complete_second_factor(work, session)
    sessions.end_all(work, session.account_id, keep=session)
    return codes


def accept_invitation_as(work: UnitOfWork, viewer: Viewer, token: str) -> None:
    accounts.accept_invitation(work, token, as_account=viewer.account_id)
