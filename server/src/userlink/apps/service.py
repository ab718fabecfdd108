"""Apps: the customer's app on the platform, its secret (legacy SDK init) and its settings."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.apps import rules
from userlink.apps.errors import (
    AppDisabled,
    AppNotFound,
    InvalidAppCredentials,
    InvalidCodeLifetime,
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
        )


@dataclass(frozen=True)
class CreatedApp:
    app: App
    secret: str  # shown once


def create_app(
    work: UnitOfWork,
    *,
    name: str,
    code_lifetime_seconds: int | None = None,
    linking_enabled: bool = True,
    actor: str = "operator",
    organisation_id: uuid.UUID | None = None,
) -> CreatedApp:
    if code_lifetime_seconds is None:
        code_lifetime_seconds = work.settings.default_code_lifetime_seconds
    if not rules.is_valid_code_lifetime(code_lifetime_seconds):
        raise InvalidCodeLifetime()
    app_id = new_id()
    secret = secrets.generate(secrets.SecretKind.APP_SECRET)
    AppRepository(work.connection).insert(
        id=app_id,
        name=name,
        secret_hash=work.hasher.hash(secret),
        code_lifetime_seconds=code_lifetime_seconds,
        linking_enabled=linking_enabled,
        is_remote_enabled=True,
        created_at=work.clock.now(),
        organisation_id=organisation_id,
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
) -> App:
    get_app(work, app_id)
    values: dict[str, object] = {}
    if code_lifetime_seconds is not None:
        if not rules.is_valid_code_lifetime(code_lifetime_seconds):
            raise InvalidCodeLifetime()
        values["code_lifetime_seconds"] = code_lifetime_seconds
    if linking_enabled is not None:
        values["linking_enabled"] = linking_enabled
    if is_remote_enabled is not None:
        values["is_remote_enabled"] = is_remote_enabled
    if values:
        AppRepository(work.connection).update(app_id, **values)
        # This process sees the change at once; others within `credential_cache_seconds`.
        work.lookups.clear()
    return get_app(work, app_id)


def authenticate_app(work: UnitOfWork, app_id: uuid.UUID | None, secret: str) -> App:
    """Legacy SDK init: app id + app secret. Same answer for unknown app and wrong secret."""
    row = AppRepository(work.connection).get(app_id) if app_id is not None else None
    # Hash even when the app is unknown so both failures take the same time.
    presented = work.hasher.hash(secret)
    expected = row["secret_hash"] if row is not None else "0" * 64
    if row is None or not hmac.compare_digest(presented, expected):
        raise InvalidAppCredentials()
    app = App.from_row(row)
    ensure_enabled(app)
    return app


def ensure_enabled(app: App) -> None:
    if not app.is_remote_enabled:
        raise AppDisabled()
