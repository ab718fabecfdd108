"""Installs: registration, the active-install rule applied to the database, ending an install."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping

from userlink.audit.rules import AuditEvent
from userlink.installs import rules
from userlink.installs.errors import InstallDeregistered, InstallNotFound
from userlink.installs.repository import InstallRepository
from userlink.installs.rules import DISABLED, LIVE, RESET, DeviceClass, InactiveReason, Platform
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork
from userlink.users.repository import UserRepository


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
    # What the device said of itself, and when the install ended (reset or disabled).
    os_version: str | None = None
    app_version: str | None = None
    sdk_version: str | None = None
    ended_at: datetime | None = None

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
            os_version=row["os_version"],
            app_version=row["app_version"],
            sdk_version=row["sdk_version"],
            ended_at=as_utc(row["ended_at"]) if row["ended_at"] else None,
        )


@dataclass(frozen=True)
class InstallCounts:
    """An app's installs as they are now: live and active, live and inactive, ended."""

    active: int
    inactive: int
    ended: int


@dataclass(frozen=True)
class ActiveChange:
    """The user's active install before and after a change (None: the user had none), what the
    ledger records so that the past can be replayed."""

    previous: uuid.UUID | None
    current: uuid.UUID | None

    def details(self) -> dict[str, str | None]:
        return {
            "previous_active_install_id": _text(self.previous),
            "active_install_id": _text(self.current),
        }


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


@dataclass(frozen=True)
class Registered:
    install: Install
    # Earlier installs of the same device (same nonce) ended by this registration: the caller
    # revokes their credentials.
    replaced: list[uuid.UUID]
    # The user's active install before and after the registration.
    active: ActiveChange


def register(
    work: UnitOfWork,
    *,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    installation_nonce: str,
    device: DeviceFacts,
    registered_via: str,
    user_is_new: bool = False,
) -> Registered:
    """A new install of `user_id` (whose row the caller holds locked), active or not by the rule.
    One read of the user's live installs, at most one write per install whose role changes, one
    insert: the rule is computed before the new row exists. A user created in the caller's own
    transaction (`user_is_new`) has no installs yet: its read is skipped. The insert goes out
    with the unit of work's other writes at its end (`WritesAtEnd`): the caller must not read the
    new install back from the database before then."""
    repository = InstallRepository(work.connection)
    now = work.clock.now()
    nonce_hash = work.hasher.hash(installation_nonce)
    live = [] if user_is_new else repository.live_for_user(user_id)
    # The same device (same nonce) registering again for this user means its earlier install
    # never reached it (every answer lost): end that orphan so it cannot hold the active role.
    replaced = [row["id"] for row in live if row["installation_nonce_hash"] == nonce_hash]
    previous_active = next((row["id"] for row in live if row["is_active"]), None)
    for orphan_id in replaced:
        repository.end(orphan_id, status=RESET, reason=InactiveReason.INSTALL_RESET.value, now=now)
        work.audit.record(
            AuditEvent.INSTALL_RESET,
            app_id=app_id,
            user_id=user_id,
            install_id=orphan_id,
            reason="replaced by the same device",
        )
    staying = [row for row in live if row["id"] not in replaced]
    device_class = rules.classify(device.platform, device.screen_diagonal_inches, device.ios_idiom)
    new = rules.InstallFacts(id=new_id(), device_class=device_class, created_at=now)
    plan = rules.assign_activity([*(_facts(row) for row in staying), new])
    activity = plan[new.id]
    current_active = next(key for key, value in plan.items() if value.is_active)
    change = ActiveChange(previous=previous_active, current=current_active)
    _apply(work, app_id, user_id, staying, plan, change)
    reason = activity.inactive_reason.value if activity.inactive_reason else None
    repository.insert_at_end(
        work.at_end,
        id=new.id,
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
        created_at=now,
        status=LIVE,
        is_active=activity.is_active,
        inactive_reason=reason,
        registered_via=registered_via,
    )
    work.audit.record(
        AuditEvent.INSTALL_CREATED,
        app_id=app_id,
        user_id=user_id,
        install_id=new.id,
        device_class=device_class.value,
        platform=device.platform.value,
    )
    if activity.is_active:
        work.audit.record(
            AuditEvent.INSTALL_ACTIVATED,
            app_id=app_id,
            user_id=user_id,
            install_id=new.id,
            **change.details(),
        )
    install = Install(
        id=new.id,
        app_id=app_id,
        user_id=user_id,
        platform=device.platform.value,
        device_class=device_class,
        model=device.model,
        created_at=now,
        status=LIVE,
        is_active=activity.is_active,
        inactive_reason=reason,
        os_version=device.os_version,
        app_version=device.app_version,
        sdk_version=device.sdk_version,
    )
    return Registered(install=install, replaced=replaced, active=change)


def _facts(row: RowMapping) -> rules.InstallFacts:
    return rules.InstallFacts(
        id=row["id"],
        device_class=DeviceClass(row["device_class"]),
        created_at=as_utc(row["created_at"]),
    )


def _apply(
    work: UnitOfWork,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    live: Sequence[RowMapping],
    plan: dict[uuid.UUID, rules.Activity],
    change: ActiveChange,
) -> None:
    """Write the plan for the installs already stored: deactivations first, so the unique index
    (one active install per user) holds at every moment, then the activation. Each role change
    is recorded with the user's active install before and after (`change`). The install that
    loses the role to another one is displaced: its row says by which and why (in the same UPDATE
    as its deactivation), and `install.displaced` goes to the ledger with the other events."""
    repository = InstallRepository(work.connection)
    previously_active = next((row["id"] for row in live if row["is_active"]), None)
    displaced = rules.displacement(previously_active, plan)
    activated: uuid.UUID | None = None
    for row in live:
        activity = plan[row["id"]]
        reason = activity.inactive_reason.value if activity.inactive_reason else None
        if activity.is_active:
            if not row["is_active"]:
                activated = row["id"]
            continue
        if displaced is not None and row["id"] == displaced.displaced:
            repository.displace(
                row["id"],
                inactive_reason=reason,
                now=work.clock.now(),
                by=displaced.new_active,
                displacement_reason=displaced.reason.value,
            )
        elif row["is_active"] or row["inactive_reason"] != reason:
            repository.set_activity(row["id"], is_active=False, inactive_reason=reason)
        if row["is_active"]:
            work.audit.record(
                AuditEvent.INSTALL_DEACTIVATED,
                app_id=app_id,
                user_id=user_id,
                install_id=row["id"],
                reason=reason,
                **change.details(),
            )
    if displaced is not None:
        work.audit.record(
            AuditEvent.INSTALL_DISPLACED,
            app_id=app_id,
            user_id=user_id,
            install_id=displaced.displaced,
            displaced_install_id=str(displaced.displaced),
            new_install_id=str(displaced.new_active),
            reason=displaced.reason.value,
        )
    if activated is not None:
        repository.set_activity(activated, is_active=True, inactive_reason=None)
        work.audit.record(
            AuditEvent.INSTALL_ACTIVATED,
            app_id=app_id,
            user_id=user_id,
            install_id=activated,
            **change.details(),
        )


@dataclass(frozen=True)
class _Planned:
    live: Sequence[RowMapping]
    plan: dict[uuid.UUID, rules.Activity]
    change: ActiveChange


def _plan(work: UnitOfWork, user_id: uuid.UUID, previous_active: uuid.UUID | None) -> _Planned:
    live = InstallRepository(work.connection).live_for_user(user_id)
    plan = rules.assign_activity(_facts(row) for row in live)
    stored_active = next((row["id"] for row in live if row["is_active"]), None)
    current = next((key for key, value in plan.items() if value.is_active), None)
    return _Planned(
        live, plan, ActiveChange(previous=stored_active or previous_active, current=current)
    )


def apply_active_rule(
    work: UnitOfWork,
    *,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    previous_active: uuid.UUID | None = None,
) -> ActiveChange:
    """Make the database agree with the rule for this user, and say which install was active
    before and is now. The caller holds the user's row lock; the partial unique index is the
    backstop. `previous_active` names the install that was active when the caller's change took
    it out of the user's live installs (ended, moved away)."""
    planned = _plan(work, user_id, previous_active)
    _apply(work, app_id, user_id, planned.live, planned.plan, planned.change)
    return planned.change


def get(work: UnitOfWork, install_id: uuid.UUID) -> Install:
    """An install the caller knows exists; gone in the meantime (its user erased) is a
    deregistration, not a server error."""
    row = InstallRepository(work.connection).get(install_id)
    if row is None:
        raise InstallDeregistered()
    return Install.from_row(row)


def find(work: UnitOfWork, install_id: uuid.UUID) -> Install | None:
    row = InstallRepository(work.connection).get(install_id)
    return Install.from_row(row) if row is not None else None


def lock(work: UnitOfWork, install_id: uuid.UUID) -> Install | None:
    """The install under its row lock (serialises replacing its credentials)."""
    row = InstallRepository(work.connection).lock(install_id)
    return Install.from_row(row) if row is not None else None


def get_live_locked(work: UnitOfWork, install_id: uuid.UUID, user_id: uuid.UUID) -> Install:
    """The caller's install under its user's row lock, checked again now that nothing can change
    it: reset or moved since the token was checked means the caller may not act."""
    UserRepository(work.connection).lock(user_id)
    install = get(work, install_id)
    if install.status != LIVE or install.user_id != user_id:
        raise InstallDeregistered()
    return install


def installs_of(work: UnitOfWork, user_id: uuid.UUID) -> list[Install]:
    return [Install.from_row(r) for r in InstallRepository(work.connection).all_for_user(user_id)]


def end(work: UnitOfWork, install: Install, *, status: str, reason: str, actor: str | None) -> None:
    """Reset (by the device) or disable (by an operator): the install stops holding any role and
    the rule hands the active role on. The caller holds the user's lock and revokes credentials."""
    InstallRepository(work.connection).end(
        install.id, status=status, reason=reason, now=work.clock.now()
    )
    event = {
        RESET: AuditEvent.INSTALL_RESET,
        DISABLED: AuditEvent.INSTALL_DISABLED,
    }.get(status, AuditEvent.INSTALL_DEACTIVATED)
    planned = _plan(work, install.user_id, install.id if install.is_active else None)
    work.audit.record(
        event,
        app_id=install.app_id,
        user_id=install.user_id,
        install_id=install.id,
        actor=actor,
        was_active=install.is_active,
        reason=reason,
        **planned.change.details(),
    )
    _apply(work, install.app_id, install.user_id, planned.live, planned.plan, planned.change)


def find_for_operator(work: UnitOfWork, install_id: uuid.UUID) -> Install:
    install = find(work, install_id)
    if install is None:
        raise InstallNotFound()
    return install


def move_to_user(work: UnitOfWork, install: Install, user_id: uuid.UUID) -> None:
    """The install joins another user (legacy link to a known external id); the caller holds
    both users' locks and applies the rule afterwards."""
    InstallRepository(work.connection).move_to_user(install.id, user_id)


def counts_in_app(work: UnitOfWork, app_id: uuid.UUID) -> InstallCounts:
    counts = {"active": 0, "inactive": 0, "ended": 0}
    for row in InstallRepository(work.connection).count_by_state(app_id):
        live_state = "active" if row["is_active"] else "inactive"
        counts[live_state if row["status"] == LIVE else "ended"] += int(row["installs"])
    return InstallCounts(**counts)
