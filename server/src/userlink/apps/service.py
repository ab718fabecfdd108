"""Apps: the customer's app on the platform, its secret (legacy SDK init) and its settings."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from userlink.apps import rules
from userlink.apps.errors import (
    AppDisabled,
    AppNotFound,
    InvalidAppCredentials,
    InvalidAppName,
    InvalidCodeLifetime,
    InvalidExternalIdList,
    InvalidSecretOverlap,
    InvalidUndoWindow,
)
from userlink.apps.repository import AppRepository
from userlink.audit.rules import AuditEvent
from userlink.kit import secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class App:
    id: uuid.UUID
    name: str
    code_lifetime_seconds: int
    linking_enabled: bool
    is_remote_enabled: bool
    created_at: datetime
    # None for an app made by the CLI without an organisation (operators only see it).
    organisation_id: uuid.UUID | None = None
    # The app's own placeholder lists, as keys (rules.external_id_key): refused besides the
    # platform's defaults, and allowed although a default refuses them.
    blocked_external_ids: frozenset[str] = frozenset()
    allowed_external_ids: frozenset[str] = frozenset()
    pkce_policy: rules.PkcePolicy = rules.PkcePolicy.OPTIONAL
    # Off once the code flow has replaced legacy inits (the migration report says when).
    legacy_registration_enabled: bool = True
    # How long a restore or a link may be undone.
    undo_window_seconds: int = rules.DEFAULT_UNDO_WINDOW_SECONDS

    def refuses_external_id(self, external_id: str) -> bool:
        """Whether this app refuses `external_id` as a placeholder: pure, from the record the
        process has (no statement on the hot paths)."""
        return rules.is_placeholder_external_id(
            external_id, blocked=self.blocked_external_ids, allowed=self.allowed_external_ids
        )

    @classmethod
    def from_row(cls, row: RowMapping) -> App:
        return cls(
            id=row["id"],
            name=row["name"],
            code_lifetime_seconds=row["code_lifetime_seconds"],
            linking_enabled=row["linking_enabled"],
            is_remote_enabled=row["is_remote_enabled"],
            created_at=as_utc(row["created_at"]),
            organisation_id=row["organisation_id"],
            blocked_external_ids=frozenset(row["blocked_external_ids"] or ()),
            allowed_external_ids=frozenset(row["allowed_external_ids"] or ()),
            pkce_policy=rules.PkcePolicy(row["pkce_policy"]),
            legacy_registration_enabled=row["legacy_registration_enabled"],
            undo_window_seconds=row["undo_window_seconds"],
        )


@dataclass(frozen=True)
class CreatedApp:
    app: App
    secret: str  # shown once


@dataclass(frozen=True)
class RotatedSecret:
    app: App
    secret: str  # shown once
    # Until when the replaced secret still opens legacy SDK inits; None: it stopped at once.
    previous_secret_expires_at: datetime | None


# Compared against when there is nothing to compare with, so every check costs the same.
_NO_HASH = "0" * 64


def create_app(
    work: UnitOfWork,
    *,
    name: str,
    code_lifetime_seconds: int | None = None,
    linking_enabled: bool = True,
    actor: str = "cli",
    organisation_id: uuid.UUID | None = None,
) -> CreatedApp:
    clean_name = rules.clean_name(name)
    if clean_name is None:
        raise InvalidAppName()
    if code_lifetime_seconds is None:
        code_lifetime_seconds = work.settings.default_code_lifetime_seconds
    if not rules.is_valid_code_lifetime(code_lifetime_seconds):
        raise InvalidCodeLifetime()
    app_id = new_id()
    secret = secrets.generate(secrets.SecretKind.APP_SECRET)
    AppRepository(work.connection).insert(
        id=app_id,
        name=clean_name,
        secret_hash=work.hasher.hash(secret),
        code_lifetime_seconds=code_lifetime_seconds,
        linking_enabled=linking_enabled,
        is_remote_enabled=True,
        created_at=work.clock.now(),
        organisation_id=organisation_id,
        blocked_external_ids=[],
        allowed_external_ids=[],
        pkce_policy=rules.PkcePolicy.OPTIONAL.value,
        legacy_registration_enabled=True,
    )
    work.audit.record(AuditEvent.APP_CREATED, app_id=app_id, actor=actor)
    return CreatedApp(app=get_app(work, app_id), secret=secret)


def get_app(work: UnitOfWork, app_id: uuid.UUID) -> App:
    row = AppRepository(work.connection).get(app_id)
    if row is None:
        raise AppNotFound()
    return App.from_row(row)


def get_app_recent(work: UnitOfWork, app_id: uuid.UUID) -> App:
    """The app as this process read it at most `credential_cache_seconds` ago: for hot paths,
    where a settings change may take that long to bite."""
    cached = work.lookups.get(("app", app_id))
    if isinstance(cached, App):
        return cached
    app = get_app(work, app_id)
    work.lookups.put(("app", app_id), app)
    return app


def list_apps(work: UnitOfWork, *, organisation_id: uuid.UUID | None = None) -> list[App]:
    """Every app, or an organisation's."""
    repository = AppRepository(work.connection)
    rows = (
        repository.list_all()
        if organisation_id is None
        else repository.list_of_organisation(organisation_id)
    )
    return [App.from_row(row) for row in rows]


def update_settings(
    work: UnitOfWork,
    app_id: uuid.UUID,
    *,
    code_lifetime_seconds: int | None = None,
    linking_enabled: bool | None = None,
    is_remote_enabled: bool | None = None,
    blocked_external_ids: Iterable[str] | None = None,
    allowed_external_ids: Iterable[str] | None = None,
    pkce_policy: rules.PkcePolicy | None = None,
    legacy_registration_enabled: bool | None = None,
    undo_window_seconds: int | None = None,
    actor: str = "cli",
) -> App:
    """Change the settings given (None: unchanged); what really changed is audited. The
    external id lists given replace the app's (values trimmed and case-folded)."""
    app = get_app(work, app_id)
    if code_lifetime_seconds is not None and not rules.is_valid_code_lifetime(
        code_lifetime_seconds
    ):
        raise InvalidCodeLifetime()
    if undo_window_seconds is not None and not rules.is_valid_undo_window(undo_window_seconds):
        raise InvalidUndoWindow()
    blocked = _external_id_list(blocked_external_ids, app.blocked_external_ids)
    allowed = _external_id_list(allowed_external_ids, app.allowed_external_ids)
    if blocked & allowed:
        raise InvalidExternalIdList()
    wanted: dict[str, Any] = {
        "code_lifetime_seconds": code_lifetime_seconds,
        "linking_enabled": linking_enabled,
        "is_remote_enabled": is_remote_enabled,
        "blocked_external_ids": blocked,
        "allowed_external_ids": allowed,
        "pkce_policy": pkce_policy,
        "legacy_registration_enabled": legacy_registration_enabled,
        "undo_window_seconds": undo_window_seconds,
    }
    changes: dict[str, Any] = {
        setting: sorted(value) if isinstance(value, frozenset) else value
        for setting, value in wanted.items()
        if value is not None and value != getattr(app, setting)
    }
    if not changes:
        return app
    AppRepository(work.connection).update(app_id, **changes)
    work.audit.record(AuditEvent.APP_SETTINGS_CHANGED, app_id=app_id, actor=actor, **changes)
    # This process sees the change at once; others within `credential_cache_seconds`.
    work.lookups.clear()
    return get_app(work, app_id)


def edit_external_id_lists(
    work: UnitOfWork,
    app_id: uuid.UUID,
    *,
    block: Iterable[str] = (),
    allow: Iterable[str] = (),
    unlist: Iterable[str] = (),
    actor: str = "cli",
) -> App:
    """Block, allow, or unlist (back to the platform's default) some external ids of an app."""
    app = get_app(work, app_id)
    edited = rules.edited_external_id_lists(
        app.blocked_external_ids, app.allowed_external_ids, block=block, allow=allow, unlist=unlist
    )
    if edited is None:
        raise InvalidExternalIdList()
    blocked, allowed = edited
    return update_settings(
        work, app_id, blocked_external_ids=blocked, allowed_external_ids=allowed, actor=actor
    )


def _external_id_list(values: Iterable[str] | None, current: frozenset[str]) -> frozenset[str]:
    if values is None:
        return current
    cleaned = rules.clean_external_id_list(values)
    if cleaned is None:
        raise InvalidExternalIdList()
    return cleaned


def rotate_secret(
    work: UnitOfWork, app_id: uuid.UUID, *, overlap: timedelta, actor: str = "cli"
) -> RotatedSecret:
    """A new app secret. The one it replaces keeps opening legacy SDK inits for `overlap` (so
    apps already shipped with it keep working while an update goes out); a second rotation
    within the overlap ends the oldest secret at once: only one previous secret is kept."""
    if not rules.is_valid_secret_overlap(overlap):
        raise InvalidSecretOverlap()
    repository = AppRepository(work.connection)
    # Locked: two rotations at once must not both keep the same previous secret.
    row = repository.get_for_update(app_id)
    if row is None:
        raise AppNotFound()
    secret = secrets.generate(secrets.SecretKind.APP_SECRET)
    previous_expires_at = work.clock.now() + overlap if overlap > timedelta(0) else None
    repository.update(
        app_id,
        secret_hash=work.hasher.hash(secret),
        previous_secret_hash=row["secret_hash"] if previous_expires_at else None,
        previous_secret_expires_at=previous_expires_at,
    )
    work.audit.record(
        AuditEvent.APP_SECRET_ROTATED,
        app_id=app_id,
        actor=actor,
        overlap_seconds=int(overlap.total_seconds()),
    )
    return RotatedSecret(
        app=App.from_row(row), secret=secret, previous_secret_expires_at=previous_expires_at
    )


def previous_secret_expiry(work: UnitOfWork, app_id: uuid.UUID) -> datetime | None:
    """When the secret replaced by the last rotation stops working, while it still works."""
    row = AppRepository(work.connection).get(app_id)
    if row is None:
        raise AppNotFound()
    expires_at = _previous_secret_expires_at(row)
    return expires_at if rules.previous_secret_open(expires_at, work.clock.now()) else None


def _previous_secret_expires_at(row: RowMapping) -> datetime | None:
    expires_at = row["previous_secret_expires_at"]
    return as_utc(expires_at) if expires_at is not None else None


def authenticate_app(work: UnitOfWork, app_id: uuid.UUID | None, secret: str) -> App:
    """Legacy SDK init: app id + app secret. Same answer for unknown app and wrong secret."""
    row = AppRepository(work.connection).get(app_id) if app_id is not None else None
    # Hash and compare twice even when the app is unknown or has no previous secret, so every
    # failure takes the same time.
    presented = work.hasher.hash(secret)
    current = row["secret_hash"] if row is not None else _NO_HASH
    previous = _NO_HASH
    if (
        row is not None
        and row["previous_secret_hash"] is not None
        and rules.previous_secret_open(_previous_secret_expires_at(row), work.clock.now())
    ):
        previous = row["previous_secret_hash"]
    matches_current = hmac.compare_digest(presented, current)
    matches_previous = hmac.compare_digest(presented, previous)
    if row is None or not (matches_current or matches_previous):
        raise InvalidAppCredentials()
    app = App.from_row(row)
    ensure_enabled(app)
    return app


def ensure_enabled(app: App) -> None:
    if not app.is_remote_enabled:
        raise AppDisabled()
