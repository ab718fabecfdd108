"""API keys (DESIGN §4): shown once, prefixed and checksummed, stored as a keyed hash, scoped,
expiring, at most N active per app, revocable, last use recorded, full history kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping

from userlink.api_keys import rules
from userlink.api_keys.errors import (
    ApiKeyExpired,
    ApiKeyNotActive,
    ApiKeyNotAllowed,
    ApiKeyNotFound,
    ApiKeyRevoked,
    InsufficientScope,
    InvalidApiKey,
    InvalidKeyLifetime,
    InvalidKeyName,
    InvalidKeyOverlap,
    InvalidScopes,
    TooManyApiKeys,
)
from userlink.api_keys.repository import ApiKeyRepository
from userlink.api_keys.rules import Scope
from userlink.apps import rules as rules_of_apps
from userlink.apps.errors import AppNotFound
from userlink.apps.repository import AppRepository
from userlink.apps.service import App, get_app
from userlink.audit.rules import AuditEvent
from userlink.kit import secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork

# Recording every use would turn each read into a write; a minute's precision is enough to tell
# whether a key is still in use before revoking it.
LAST_USED_PRECISION = timedelta(seconds=60)


@dataclass(frozen=True)
class ApiKey:
    id: uuid.UUID
    app_id: uuid.UUID
    name: str
    hint: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    # "account:<id>" for the dashboard, "cli" for the operator CLI; None for keys made before
    # anyone was recorded.
    created_by: str | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def from_row(cls, row: RowMapping) -> ApiKey:
        return cls(
            id=row["id"],
            app_id=row["app_id"],
            name=row["name"],
            hint=row["hint"],
            scopes=frozenset(Scope(s) for s in row["scopes"]),
            created_at=as_utc(row["created_at"]),
            expires_at=as_utc(row["expires_at"]),
            revoked_at=as_utc(row["revoked_at"]) if row["revoked_at"] else None,
            last_used_at=as_utc(row["last_used_at"]) if row["last_used_at"] else None,
            created_by=row["created_by"],
        )


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    token: str  # shown once


@dataclass(frozen=True)
class ApiKeyCaller:
    """Who is calling a server-to-server route."""

    key_id: uuid.UUID
    scopes: frozenset[Scope]
    app: App

    @property
    def app_id(self) -> uuid.UUID:
        return self.app.id

    @property
    def actor(self) -> str:
        return f"api_key:{self.key_id}"


def create_key(
    work: UnitOfWork,
    app_id: uuid.UUID,
    *,
    name: str,
    scopes: list[str],
    lifetime_days: int | None = None,
    actor: str = "cli",
) -> CreatedApiKey:
    parsed_scopes = rules.parse_scopes(scopes)
    if parsed_scopes is None:
        raise InvalidScopes()
    days = work.settings.api_key_default_lifetime_days if lifetime_days is None else lifetime_days
    if not rules.is_valid_lifetime_days(days):
        raise InvalidKeyLifetime()
    clean_name = rules.clean_name(name)
    if clean_name is None:
        raise InvalidKeyName()
    _lock_app(work, app_id)
    _ensure_room(work, app_id, replacing=False)
    return _issue(
        work,
        app_id,
        name=clean_name,
        scopes=parsed_scopes,
        lifetime=timedelta(days=days),
        actor=actor,
    )


def list_keys(work: UnitOfWork, app_id: uuid.UUID) -> list[ApiKey]:
    get_app(work, app_id)
    return [ApiKey.from_row(row) for row in ApiKeyRepository(work.connection).list_for_app(app_id)]


def active_key_counts(work: UnitOfWork, app_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Active keys per app, 0 included."""
    counts = ApiKeyRepository(work.connection).count_active_by_app(app_ids, work.clock.now())
    return {app_id: counts.get(app_id, 0) for app_id in app_ids}


def revoke_key(
    work: UnitOfWork, app_id: uuid.UUID, key_id: uuid.UUID, *, actor: str = "cli"
) -> ApiKey:
    repository = ApiKeyRepository(work.connection)
    row = repository.get(app_id, key_id)
    if row is None:
        raise ApiKeyNotFound()
    if row["revoked_at"] is None:
        repository.mark_revoked(key_id, work.clock.now())
        work.audit.record(
            AuditEvent.API_KEY_REVOKED, app_id=app_id, actor=actor, key_id=str(key_id)
        )
        # This process bites at once; others within `credential_cache_seconds`.
        work.lookups.clear()
    updated = repository.get(app_id, key_id)
    assert updated is not None
    return ApiKey.from_row(updated)


@dataclass(frozen=True)
class RolledApiKey:
    replacement: CreatedApiKey  # its token shown once
    rolled: ApiKey  # the old key, now expiring at the end of the overlap


def roll_key(
    work: UnitOfWork,
    app_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    overlap: timedelta,
    actor: str = "cli",
) -> RolledApiKey:
    """A new key with the old one's name, scopes and lifetime; the old one keeps working for
    `overlap` (never longer than it would have anyway), so a backend can switch without a gap."""
    if not rules.is_valid_roll_overlap(overlap):
        raise InvalidKeyOverlap()
    _lock_app(work, app_id)
    repository = ApiKeyRepository(work.connection)
    row = repository.get(app_id, key_id)
    if row is None:
        raise ApiKeyNotFound()
    old = ApiKey.from_row(row)
    now = work.clock.now()
    if old.state(now) != "active":
        raise ApiKeyNotActive()
    _ensure_room(work, app_id, replacing=True)
    replacement = _issue(
        work,
        app_id,
        name=old.name,
        scopes=old.scopes,
        lifetime=rules.replacement_lifetime(old.created_at, old.expires_at),
        actor=actor,
    )
    repository.set_expiry(key_id, rules.rolled_expiry(old.expires_at, now, overlap))
    work.audit.record(
        AuditEvent.API_KEY_ROLLED,
        app_id=app_id,
        actor=actor,
        key_id=str(key_id),
        replacement_key_id=str(replacement.key.id),
        overlap_seconds=int(overlap.total_seconds()),
    )
    # The old key's new expiry bites in this process at once; others within
    # `credential_cache_seconds`.
    work.lookups.clear()
    rolled = repository.get(app_id, key_id)
    assert rolled is not None
    return RolledApiKey(replacement=replacement, rolled=ApiKey.from_row(rolled))


def _lock_app(work: UnitOfWork, app_id: uuid.UUID) -> None:
    """The app, locked: key creations and rolls of one app are serialised, so two of them
    cannot both pass the active-key limit."""
    if AppRepository(work.connection).get_for_update(app_id) is None:
        raise AppNotFound()


def _ensure_room(work: UnitOfWork, app_id: uuid.UUID, *, replacing: bool) -> None:
    limit = work.settings.max_active_api_keys_per_app
    active = ApiKeyRepository(work.connection).count_active(app_id, work.clock.now())
    if not rules.may_add_key(active, limit, replacing=replacing):
        raise TooManyApiKeys(f"An app holds at most {limit} active API keys; revoke one first.")


def _issue(
    work: UnitOfWork,
    app_id: uuid.UUID,
    *,
    name: str,
    scopes: frozenset[Scope],
    lifetime: timedelta,
    actor: str,
) -> CreatedApiKey:
    repository = ApiKeyRepository(work.connection)
    now = work.clock.now()
    token = secrets.generate(secrets.SecretKind.API_KEY)
    key_id = new_id()
    scope_names = sorted(s.value for s in scopes)
    repository.insert(
        id=key_id,
        app_id=app_id,
        name=name,
        token_hash=work.hasher.hash(token),
        hint=rules.hint(token),
        scopes=scope_names,
        created_at=now,
        expires_at=now + lifetime,
        created_by=actor,
    )
    work.audit.record(
        AuditEvent.API_KEY_CREATED,
        app_id=app_id,
        actor=actor,
        key_id=str(key_id),
        scopes=scope_names,
    )
    row = repository.get(app_id, key_id)
    assert row is not None
    return CreatedApiKey(key=ApiKey.from_row(row), token=token)


@dataclass(frozen=True)
class _StoredKey:
    """What the credential check reads about a key, kept by the process for a moment."""

    id: uuid.UUID
    scopes: frozenset[Scope]
    expires_at: datetime
    revoked_at: datetime | None
    app: App


def _stored_key(work: UnitOfWork, token_hash: str) -> _StoredKey | None:
    cached = work.lookups.get(("api_key", token_hash))
    if isinstance(cached, _StoredKey):
        return cached
    repository = ApiKeyRepository(work.connection)
    row = repository.find_with_app(token_hash)
    if row is None:
        return None
    now = work.clock.now()
    last_used = row["last_used_at"]
    if row["revoked_at"] is None and (
        last_used is None or now - as_utc(last_used) >= LAST_USED_PRECISION
    ):
        repository.touch(row["id"], now)
    key = _StoredKey(
        id=row["id"],
        scopes=frozenset(Scope(s) for s in row["scopes"]),
        expires_at=as_utc(row["expires_at"]),
        revoked_at=as_utc(row["revoked_at"]) if row["revoked_at"] else None,
        app=App(
            id=row["app_id"],
            name=row["app_name"],
            code_lifetime_seconds=row["app_code_lifetime_seconds"],
            linking_enabled=row["app_linking_enabled"],
            is_remote_enabled=row["app_is_remote_enabled"],
            created_at=as_utc(row["app_created_at"]),
            organisation_id=row["app_organisation_id"],
            blocked_external_ids=frozenset(row["app_blocked_external_ids"] or ()),
            allowed_external_ids=frozenset(row["app_allowed_external_ids"] or ()),
            pkce_policy=rules_of_apps.PkcePolicy(row["app_pkce_policy"]),
            legacy_registration_enabled=row["app_legacy_registration_enabled"],
            undo_window_seconds=row["app_undo_window_seconds"],
        ),
    )
    work.lookups.put(("api_key", token_hash), key)
    return key


def authenticate(work: UnitOfWork, token: str, required: Scope) -> ApiKeyCaller:
    """Hot path of every server-to-server call: checksum, then one indexed lookup of the key with
    its app (or none, when this process read it within `credential_cache_seconds`)."""
    if secrets.parse_kind(token) is not secrets.SecretKind.API_KEY:
        raise InvalidApiKey()
    key = _stored_key(work, work.hasher.hash(token))
    if key is None:
        raise InvalidApiKey()
    if key.revoked_at is not None:
        raise ApiKeyRevoked()
    if key.expires_at <= work.clock.now():
        raise ApiKeyExpired()
    if required not in key.scopes:
        raise InsufficientScope(f"This API key lacks the {required.value} scope.")
    return ApiKeyCaller(key_id=key.id, scopes=key.scopes, app=key.app)


def refuse_on_sdk_route(work: UnitOfWork, token: str, route: str) -> None:
    """An API key reached a device route: it has leaked into an app. Record it, then refuse."""
    key = ApiKeyRepository(work.connection).find_by_hash(work.hasher.hash(token))
    # Only a real key is a leak worth recording; junk that merely looks like one would let anyone
    # fill the audit log.
    if key is not None:
        work.audit.record(
            AuditEvent.API_KEY_ON_SDK_ROUTE,
            app_id=key["app_id"],
            actor=f"api_key:{key['id']}",
            route=route,
        )
    raise ApiKeyNotAllowed()
