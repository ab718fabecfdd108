"""SDK credentials of an install: an access token for every call, a rotating refresh token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping

from userlink.installs.errors import InstallDeregistered
from userlink.installs.rules import LIVE, effective_activity
from userlink.kit import secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.sdk_credentials.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    RefreshTokenExpired,
    RefreshTokenInvalid,
)
from userlink.sdk_credentials.repository import TokenRepository
from userlink.sdk_credentials.rules import RefreshDecision, refresh_decision
from userlink.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Credentials:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime


@dataclass(frozen=True)
class Displacement:
    """Another install of the user took the active role from this one: told to the displaced
    install on its next calls (status, upload, token refresh) for as long as it stays inactive."""

    new_install_id: uuid.UUID
    reason: str  # newer_install | phone_over_tablet
    displaced_at: datetime


def displacement_of(row: RowMapping) -> Displacement | None:
    """From the install's row as the credential check reads it (no statement of its own)."""
    if row["is_active"] or row["displaced_at"] is None or row["displaced_by"] is None:
        return None
    return Displacement(
        new_install_id=row["displaced_by"],
        reason=row["displacement_reason"],
        displaced_at=as_utc(row["displaced_at"]),
    )


@dataclass(frozen=True)
class Refreshed:
    credentials: Credentials
    displacement: Displacement | None


@dataclass(frozen=True)
class SdkCaller:
    """An install calling an SDK route with its access token."""

    install_id: uuid.UUID
    app_id: uuid.UUID
    user_id: uuid.UUID
    is_active: bool  # the user's active install, in an app that is not remote-disabled
    inactive_reason: str | None
    app_enabled: bool = True
    displacement: Displacement | None = None

    @property
    def actor(self) -> str:
        return f"install:{self.install_id}"


def issue(work: UnitOfWork, install_id: uuid.UUID) -> Credentials:
    now = work.clock.now()
    access = secrets.generate(secrets.SecretKind.ACCESS_TOKEN)
    refresh = secrets.generate(secrets.SecretKind.REFRESH_TOKEN)
    access_expires = now + timedelta(seconds=work.settings.access_token_lifetime_seconds)
    refresh_expires = now + timedelta(seconds=work.settings.refresh_token_lifetime_seconds)
    # Inserted when the unit of work ends: nothing in it reads the new pair back (a revoke of
    # the install's credentials comes before an issue, `replace`).
    TokenRepository(work.connection).insert_at_end(
        work.at_end,
        [
            {
                "id": new_id(),
                "install_id": install_id,
                "kind": "access",
                "token_hash": work.hasher.hash(access),
                "created_at": now,
                "expires_at": access_expires,
            },
            {
                "id": new_id(),
                "install_id": install_id,
                "kind": "refresh",
                "token_hash": work.hasher.hash(refresh),
                "created_at": now,
                "expires_at": refresh_expires,
            },
        ],
    )
    return Credentials(access, access_expires, refresh, refresh_expires)


def revoke(work: UnitOfWork, install_id: uuid.UUID) -> None:
    TokenRepository(work.connection).revoke_all_for_install(install_id, work.clock.now())


def replace(work: UnitOfWork, install_id: uuid.UUID) -> Credentials:
    """Revoke every credential of the install and issue a new pair. The caller holds the
    install's row lock, so concurrent replacements leave exactly one live pair."""
    revoke(work, install_id)
    return issue(work, install_id)


def authenticate(work: UnitOfWork, token: str, *, sharing_user_lock: bool = False) -> SdkCaller:
    """Every SDK call: checksum, then one indexed lookup joined with the install and its app.
    `sharing_user_lock`: the same statement also takes a shared lock on the install's user, held
    until the unit of work ends, so the install's role read here stays its role until then (a
    change of the user's active install takes that lock exclusively)."""
    if secrets.parse_kind(token) is not secrets.SecretKind.ACCESS_TOKEN:
        raise AccessTokenInvalid()
    tokens = TokenRepository(work.connection)
    token_hash = work.hasher.hash(token)
    row = (
        tokens.find_with_install_sharing_user_lock(token_hash)
        if sharing_user_lock
        else tokens.find_with_install(token_hash)
    )
    if row is None or row["kind"] != "access":
        raise AccessTokenInvalid()
    if row["status"] != LIVE:
        raise InstallDeregistered()
    if row["revoked_at"] is not None:
        raise AccessTokenInvalid()
    if as_utc(row["expires_at"]) <= work.clock.now():
        raise AccessTokenExpired()
    app_enabled = bool(row["app_enabled"])
    is_active, inactive_reason = effective_activity(
        row["is_active"], row["inactive_reason"], app_enabled=app_enabled
    )
    return SdkCaller(
        install_id=row["install_id"],
        app_id=row["app_id"],
        user_id=row["user_id"],
        is_active=is_active,
        inactive_reason=inactive_reason,
        app_enabled=app_enabled,
        displacement=displacement_of(row),
    )


def refresh(work: UnitOfWork, refresh_token: str) -> Refreshed:
    """Rotate: the refresh token works once, then a new pair replaces it. The token's row and its
    install's are locked first, so simultaneous refreshes of one token run one after another and
    leave one live refresh token, never several chains."""
    if secrets.parse_kind(refresh_token) is not secrets.SecretKind.REFRESH_TOKEN:
        raise RefreshTokenInvalid()
    tokens = TokenRepository(work.connection)
    row = tokens.find_locked(work.hasher.hash(refresh_token))
    if row is None or row["kind"] != "refresh":
        raise RefreshTokenInvalid()
    if row["status"] != LIVE:
        raise InstallDeregistered()
    now = work.clock.now()
    decision = refresh_decision(
        expires_at=as_utc(row["expires_at"]),
        revoked_at=row["revoked_at"],
        rotated_at=as_utc(row["rotated_at"]) if row["rotated_at"] is not None else None,
        now=now,
        retry_window=timedelta(seconds=work.settings.refresh_retry_window_seconds),
    )
    if decision is RefreshDecision.EXPIRED:
        raise RefreshTokenExpired()
    if decision is RefreshDecision.REFUSE:
        raise RefreshTokenInvalid()
    if decision is RefreshDecision.RETRY:
        # The device retries a refresh whose answer it never got: the pair that answer carried
        # was never seen, so replace it rather than lock the device out.
        return Refreshed(replace(work, row["install_id"]), displacement_of(row))
    tokens.rotate(row["token_id"], now)
    return Refreshed(issue(work, row["install_id"]), displacement_of(row))


def last_issued(work: UnitOfWork, install_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each install last obtained credentials: its redemption or registration, then each
    refresh (about once per access-token lifetime while the app runs). The closest the platform
    keeps to a "last seen": no request writes a row just to say it came."""
    if not install_ids:
        return {}
    rows = TokenRepository(work.connection).latest_issue_per_install(install_ids)
    return {row["install_id"]: as_utc(row["issued_at"]) for row in rows}
