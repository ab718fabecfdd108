"""Authentication codes: issued to a customer backend for its user, redeemed once by the SDK."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.api_keys.service import ApiKeyCaller
from userlink.apps import service as apps
from userlink.audit.rules import AuditEvent
from userlink.auth_codes import rules
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
    InvalidExternalId,
)
from userlink.auth_codes.repository import AuthCodeRepository
from userlink.installs import service as installs
from userlink.installs.errors import InstallDeregistered
from userlink.installs.service import Credentials, DeviceFacts, Install
from userlink.kit import secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.users import service as users
from userlink.users.repository import UserRepository
from userlink.work import Work


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Redemption:
    user_id: uuid.UUID
    install: Install
    restored: bool
    credentials: Credentials
    is_remote_enabled: bool


def issue(work: Work, caller: ApiKeyCaller, raw_external_id: str) -> IssuedCode:
    external_id = rules.normalise_external_id(raw_external_id)
    if external_id is None:
        raise InvalidExternalId()
    app = apps.get_app(work, caller.app_id)
    now = work.clock.now()
    code = secrets.generate_auth_code()
    expires_at = rules.expiry(now, app.code_lifetime_seconds)
    AuthCodeRepository(work.connection).insert(
        id=new_id(),
        app_id=app.id,
        code_hash=work.hasher.hash(code),
        external_id=external_id,
        created_at=now,
        expires_at=expires_at,
    )
    known = UserRepository(work.connection).find_by_external_id(app.id, external_id)
    work.audit.record(
        AuditEvent.CODE_ISSUED,
        app_id=app.id,
        actor=caller.actor,
        user_id=known["id"] if known else None,
        restores_existing_user=known is not None,
    )
    return IssuedCode(code=code, expires_at=expires_at)


def redeem(
    work: Work,
    *,
    code: str,
    installation_nonce: str,
    app_id: uuid.UUID | None,
    device: DeviceFacts,
) -> Redemption:
    repository = AuthCodeRepository(work.connection)
    code_hash = work.hasher.hash(code)
    nonce_hash = work.hasher.hash(installation_nonce)
    now = work.clock.now()
    claimed = repository.claim(code_hash, nonce_hash, now)
    if claimed is None:
        return _redeem_unclaimable(work, code_hash, nonce_hash, app_id)
    # Refusals below roll the claim back with the unit of work: the code stays usable.
    if app_id is not None and claimed["app_id"] != app_id:
        raise AuthCodeAppMismatch()
    app = apps.get_app(work, claimed["app_id"])
    apps.ensure_enabled(app)
    user, restored = users.get_or_create_linked(work, app.id, claimed["external_id"])
    install = installs.register(
        work,
        app_id=app.id,
        user_id=user.id,
        installation_nonce=installation_nonce,
        device=device,
    )
    repository.record_outcome(
        claimed["id"], user_id=user.id, install_id=install.id, restored=restored
    )
    credentials = installs.issue_credentials(work, install.id)
    work.audit.record(
        AuditEvent.CODE_REDEEMED, app_id=app.id, user_id=user.id, install_id=install.id
    )
    work.audit.record(
        AuditEvent.USER_RESTORED if restored else AuditEvent.USER_CREATED,
        app_id=app.id,
        user_id=user.id,
        install_id=install.id,
    )
    return Redemption(
        user_id=user.id,
        install=install,
        restored=restored,
        credentials=credentials,
        is_remote_enabled=install.is_active,
    )


def _redeem_unclaimable(
    work: Work, code_hash: str, nonce_hash: str, app_id: uuid.UUID | None
) -> Redemption:
    """The code could not be claimed: unknown, expired, a retry of a lost answer, or a replay."""
    row = _redeemed_or_refuse(work, code_hash, app_id)
    now = work.clock.now()
    retry = rules.is_retry(
        redeemed_at=as_utc(row["redeemed_at"]),
        stored_nonce_hash=row["redemption_nonce_hash"],
        presented_nonce_hash=nonce_hash,
        now=now,
        window_seconds=work.settings.redemption_retry_window_seconds,
    ) and (app_id is None or row["app_id"] == app_id)
    install = installs.find(work, row["install_id"]) if row["install_id"] else None
    if retry and install is not None and install.status == installs.LIVE:
        # The first answer was lost: same user and install, fresh credentials, older ones revoked.
        installs.revoke_credentials(work, install.id)
        credentials = installs.issue_credentials(work, install.id)
        work.audit.record(
            AuditEvent.CODE_REDEMPTION_RETRIED,
            app_id=row["app_id"],
            user_id=install.user_id,
            install_id=install.id,
        )
        return Redemption(
            user_id=install.user_id,
            install=install,
            restored=bool(row["restored"]),
            credentials=credentials,
            is_remote_enabled=install.is_active,
        )
    if retry and install is not None:
        raise InstallDeregistered()
    work.audit.record(
        AuditEvent.CODE_REPLAY_REFUSED,
        app_id=row["app_id"],
        user_id=row["user_id"],
        install_id=row["install_id"],
        same_device=row["redemption_nonce_hash"] == nonce_hash,
    )
    raise AuthCodeAlreadyUsed()


def _redeemed_or_refuse(work: Work, code_hash: str, app_id: uuid.UUID | None) -> RowMapping:
    """Why an unclaimable code could not be claimed: unknown or expired codes are refused here;
    a redeemed one is returned for the caller to tell a retry from a replay."""
    row = AuthCodeRepository(work.connection).find(code_hash)
    if row is None:
        raise AuthCodeInvalid()
    if row["redeemed_at"] is None:
        if app_id is not None and row["app_id"] != app_id:
            raise AuthCodeAppMismatch()
        raise AuthCodeExpired()
    return row


def claim_for_link(
    work: Work, *, code: str, app_id: uuid.UUID, install_id: uuid.UUID
) -> tuple[uuid.UUID, str]:
    """Claim a code to link an existing unlinked user (SDK `link_user(auth_code)`): the code's id
    and external id. Refusals roll the claim back with the unit of work."""
    repository = AuthCodeRepository(work.connection)
    code_hash = work.hasher.hash(code)
    claimed = repository.claim(code_hash, work.hasher.hash(str(install_id)), work.clock.now())
    if claimed is None:
        row = _redeemed_or_refuse(work, code_hash, app_id)
        work.audit.record(
            AuditEvent.CODE_REPLAY_REFUSED, app_id=row["app_id"], install_id=install_id
        )
        raise AuthCodeAlreadyUsed()
    if claimed["app_id"] != app_id:
        raise AuthCodeAppMismatch()
    return claimed["id"], claimed["external_id"]


def record_link(
    work: Work, code_id: uuid.UUID, *, user_id: uuid.UUID, install_id: uuid.UUID
) -> None:
    AuthCodeRepository(work.connection).record_outcome(
        code_id, user_id=user_id, install_id=install_id, restored=False
    )
