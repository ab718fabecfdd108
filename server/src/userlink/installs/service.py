"""Installs: registration, the active-install rule applied to the database, SDK credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.installs import rules
from userlink.installs.errors import (
    AccessTokenExpired,
    AccessTokenInvalid,
    InstallDeregistered,
    InstallNotFound,
    RefreshTokenExpired,
    RefreshTokenInvalid,
)
from userlink.installs.repository import InstallRepository, TokenRepository
from userlink.installs.rules import DeviceClass, InactiveReason, Platform
from userlink.kit import secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.payloads import rules as payload_rules
from userlink.users.repository import UserRepository
from userlink.work import Work

LIVE = "live"
RESET = "reset"
DISABLED = "disabled"


@dataclass(frozen=True)
class DeviceFacts:
    platform: Platform
    os_version: str | None
    model: str | None
    screen_diagonal_inches: float | None
    ios_idiom: str | None
    app_version: str | None
    sdk_version: str | None


@dataclass(frozen=True)
class Install:
    id: uuid.UUID
    app_id: uuid.UUID
    user_id: uuid.UUID
    platform: str
    device_class: DeviceClass
    model: str | None
    created_at: datetime
    status: str
    is_active: bool
    inactive_reason: str | None

    @classmethod
    def from_row(cls, row: RowMapping) -> Install:
        return cls(
            id=row["id"],
            app_id=row["app_id"],
            user_id=row["user_id"],
            platform=row["platform"],
            device_class=DeviceClass(row["device_class"]),
            model=row["model"],
            created_at=as_utc(row["created_at"]),
            status=row["status"],
            is_active=row["is_active"],
            inactive_reason=row["inactive_reason"],
        )


@dataclass(frozen=True)
class Credentials:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime


@dataclass(frozen=True)
class SdkCaller:
    """An install calling an SDK route with its access token."""

    install_id: uuid.UUID
    app_id: uuid.UUID
    user_id: uuid.UUID
    is_active: bool  # the user's active install, in an app that is not remote-disabled
    inactive_reason: str | None
    app_enabled: bool = True

    @property
    def actor(self) -> str:
        return f"install:{self.install_id}"


def register(
    work: Work,
    *,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    installation_nonce: str,
    device: DeviceFacts,
) -> Install:
    """A new install of `user_id` (whose row the caller holds locked), then the rule decides
    which of the user's installs is active."""
    install_id = new_id()
    device_class = rules.classify(device.platform, device.screen_diagonal_inches, device.ios_idiom)
    repository = InstallRepository(work.connection)
    nonce_hash = work.hasher.hash(installation_nonce)
    # The same device (same nonce) registering again for this user means its earlier install
    # never reached it (every answer lost): end that orphan so it cannot hold the active role.
    for orphan_id in repository.live_ids_with_nonce(user_id, nonce_hash):
        repository.end(
            orphan_id, status=RESET, reason=InactiveReason.INSTALL_RESET.value, now=work.clock.now()
        )
        revoke_credentials(work, orphan_id)
        work.audit.record(
            AuditEvent.INSTALL_RESET,
            app_id=app_id,
            user_id=user_id,
            install_id=orphan_id,
            reason="replaced by the same device",
        )
    repository.insert(
        id=install_id,
        app_id=app_id,
        user_id=user_id,
        installation_nonce_hash=nonce_hash,
        platform=device.platform.value,
        os_version=device.os_version,
        model=device.model,
        screen_diagonal_inches=device.screen_diagonal_inches,
        ios_idiom=device.ios_idiom,
        device_class=device_class.value,
        app_version=device.app_version,
        sdk_version=device.sdk_version,
        created_at=work.clock.now(),
        status=LIVE,
        is_active=False,
        inactive_reason=None,
    )
    work.audit.record(
        AuditEvent.INSTALL_CREATED,
        app_id=app_id,
        user_id=user_id,
        install_id=install_id,
        device_class=device_class.value,
        platform=device.platform.value,
    )
    apply_active_rule(work, app_id=app_id, user_id=user_id)
    return get(work, install_id)


def get(work: Work, install_id: uuid.UUID) -> Install:
    """An install the caller knows exists; gone in the meantime (its user erased) is a
    deregistration, not a server error."""
    row = InstallRepository(work.connection).get(install_id)
    if row is None:
        raise InstallDeregistered()
    return Install.from_row(row)


def get_live_locked(work: Work, caller: SdkCaller) -> Install:
    """The caller's install under its user's row lock, checked again now that nothing can change
    it: reset or moved since the token was checked means the caller may not act."""
    UserRepository(work.connection).lock(caller.user_id)
    install = get(work, caller.install_id)
    if install.status != LIVE or install.user_id != caller.user_id:
        raise InstallDeregistered()
    return install


def find(work: Work, install_id: uuid.UUID) -> Install | None:
    row = InstallRepository(work.connection).get(install_id)
    return Install.from_row(row) if row is not None else None


def installs_of(work: Work, user_id: uuid.UUID) -> list[Install]:
    return [Install.from_row(r) for r in InstallRepository(work.connection).all_for_user(user_id)]


def apply_active_rule(work: Work, *, app_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Make the database agree with `rules.choose_active` for this user. The caller holds the
    user's row lock; the partial unique index is the backstop."""
    repository = InstallRepository(work.connection)
    live = repository.live_for_user(user_id)
    facts = {
        row["id"]: rules.InstallFacts(
            id=row["id"],
            device_class=DeviceClass(row["device_class"]),
            created_at=as_utc(row["created_at"]),
        )
        for row in live
    }
    chosen = rules.choose_active(facts.values())
    # Deactivate first: the unique index allows one active install per user at every moment.
    for row in live:
        if row["id"] == chosen:
            continue
        reason = rules.inactive_reason(facts[row["id"]], facts[chosen]) if chosen else None
        reason_value = reason.value if reason else None
        if row["is_active"] or row["inactive_reason"] != reason_value:
            repository.set_activity(row["id"], is_active=False, inactive_reason=reason_value)
        if row["is_active"]:
            work.audit.record(
                AuditEvent.INSTALL_DEACTIVATED,
                app_id=app_id,
                user_id=user_id,
                install_id=row["id"],
                reason=reason_value,
            )
    if chosen is not None:
        current = next(row for row in live if row["id"] == chosen)
        if not current["is_active"]:
            repository.set_activity(chosen, is_active=True, inactive_reason=None)
            work.audit.record(
                AuditEvent.INSTALL_ACTIVATED, app_id=app_id, user_id=user_id, install_id=chosen
            )


def issue_credentials(work: Work, install_id: uuid.UUID) -> Credentials:
    now = work.clock.now()
    access = secrets.generate(secrets.SecretKind.ACCESS_TOKEN)
    refresh = secrets.generate(secrets.SecretKind.REFRESH_TOKEN)
    access_expires = now + timedelta(seconds=work.settings.access_token_lifetime_seconds)
    refresh_expires = now + timedelta(seconds=work.settings.refresh_token_lifetime_seconds)
    TokenRepository(work.connection).insert_many(
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
        ]
    )
    return Credentials(access, access_expires, refresh, refresh_expires)


def revoke_credentials(work: Work, install_id: uuid.UUID) -> None:
    TokenRepository(work.connection).revoke_all_for_install(install_id, work.clock.now())


def authenticate(work: Work, token: str) -> SdkCaller:
    """Every SDK call: checksum, one indexed lookup joined with the install."""
    if secrets.parse_kind(token) is not secrets.SecretKind.ACCESS_TOKEN:
        raise AccessTokenInvalid()
    row = TokenRepository(work.connection).find_with_install(work.hasher.hash(token))
    if row is None or row["kind"] != "access":
        raise AccessTokenInvalid()
    if row["status"] != LIVE:
        raise InstallDeregistered()
    if row["revoked_at"] is not None:
        raise AccessTokenInvalid()
    if as_utc(row["expires_at"]) <= work.clock.now():
        raise AccessTokenExpired()
    app_enabled = bool(row["app_enabled"])
    return SdkCaller(
        install_id=row["install_id"],
        app_id=row["app_id"],
        user_id=row["user_id"],
        is_active=row["is_active"] and app_enabled,
        inactive_reason=row["inactive_reason"] if app_enabled else "APP_DISABLED",
        app_enabled=app_enabled,
    )


def refresh(work: Work, refresh_token: str) -> tuple[Install, Credentials]:
    """Rotate: the refresh token works once, then a new pair replaces it."""
    if secrets.parse_kind(refresh_token) is not secrets.SecretKind.REFRESH_TOKEN:
        raise RefreshTokenInvalid()
    tokens = TokenRepository(work.connection)
    row = tokens.find_with_install(work.hasher.hash(refresh_token))
    if row is None or row["kind"] != "refresh":
        raise RefreshTokenInvalid()
    if row["status"] != LIVE:
        raise InstallDeregistered()
    now = work.clock.now()
    if as_utc(row["expires_at"]) <= now:
        raise RefreshTokenExpired()
    if row["revoked_at"] is not None or not tokens.rotate(row["token_id"], now):
        # Only a token retired by rotation gets a second chance, and only briefly; one revoked
        # for any other reason (reset, a replaced pair) never works again.
        rotated_at = row["rotated_at"]
        window = timedelta(seconds=work.settings.refresh_retry_window_seconds)
        if rotated_at is None or now - as_utc(rotated_at) > window:
            raise RefreshTokenInvalid()
        # The device retries a refresh whose answer it never got: the pair that answer carried
        # was never seen, so replace it rather than lock the device out.
        revoke_credentials(work, row["install_id"])
    return get(work, row["install_id"]), issue_credentials(work, row["install_id"])


def reset(work: Work, caller: SdkCaller) -> None:
    """Deregister the install: credentials revoked, the active role handed on by the rule."""
    get_live_locked(work, caller)
    now = work.clock.now()
    InstallRepository(work.connection).end(
        caller.install_id, status=RESET, reason=InactiveReason.INSTALL_RESET.value, now=now
    )
    revoke_credentials(work, caller.install_id)
    work.audit.record(
        AuditEvent.INSTALL_RESET,
        app_id=caller.app_id,
        user_id=caller.user_id,
        install_id=caller.install_id,
        actor=caller.actor,
        was_active=caller.is_active,
    )
    apply_active_rule(work, app_id=caller.app_id, user_id=caller.user_id)


@dataclass(frozen=True)
class UploadSettings:
    # The limits ingest enforces (payloads/rules.py); the body limit bounds a whole batch.
    max_batch_size: int = payload_rules.MAX_BATCH_SIZE
    max_payload_bytes: int = payload_rules.MAX_PAYLOAD_BYTES
    max_batch_bytes: int = payload_rules.MAX_BATCH_BYTES
    min_interval_seconds: int = 30


@dataclass(frozen=True)
class SdkConfiguration:
    is_remote_enabled: bool
    upload: UploadSettings
    features: dict[str, bool]


def configuration(is_active: bool) -> SdkConfiguration:
    """What the SDK is told to do. Only the active install uploads to be processed."""
    return SdkConfiguration(
        is_remote_enabled=is_active,
        upload=UploadSettings(),
        features={"payload_upload": True, "legacy_linking": True},
    )


def disable(work: Work, install_id: uuid.UUID) -> Install:
    """Operator action: the install stops working at once and loses the active role."""
    install = find(work, install_id)
    if install is None:
        raise InstallNotFound()
    UserRepository(work.connection).lock(install.user_id)
    InstallRepository(work.connection).end(
        install_id, status=DISABLED, reason="INSTALL_DISABLED", now=work.clock.now()
    )
    revoke_credentials(work, install_id)
    work.audit.record(
        AuditEvent.INSTALL_DEACTIVATED,
        app_id=install.app_id,
        user_id=install.user_id,
        install_id=install_id,
        actor="operator",
        reason="INSTALL_DISABLED",
    )
    apply_active_rule(work, app_id=install.app_id, user_id=install.user_id)
    return get(work, install_id)


def move_to_user(work: Work, install: Install, user_id: uuid.UUID) -> None:
    """The install joins another user (legacy link to a known external id); the caller holds
    both users' locks and applies the rule afterwards."""
    InstallRepository(work.connection).move_to_user(install.id, user_id)


@dataclass(frozen=True)
class InstallStatus:
    is_linked: bool
    is_active: bool
    inactive_reason: str | None


def status(work: Work, caller: SdkCaller) -> InstallStatus:
    user = UserRepository(work.connection).get(caller.user_id)
    return InstallStatus(
        is_linked=bool(user and user["external_id"] is not None),
        is_active=caller.is_active,
        inactive_reason=caller.inactive_reason,
    )
