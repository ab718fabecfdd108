"""The legacy-to-code migration report, as a pure function of an app's users and installs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CODE = "code"
LEGACY = "legacy"
LIVE = "live"


class LinkedBy(StrEnum):
    CODE = "code"  # only codes made or linked its installs
    LEGACY = "legacy"  # only legacy installs linked by install id
    BOTH = "both"
    UNLINKED = "unlinked"  # no external id (provisional, or kept unlinked by a NO-OP linker)


@dataclass(frozen=True)
class UserFacts:
    id: uuid.UUID
    is_linked: bool
    via_code: bool  # a code was redeemed or linked for it


@dataclass(frozen=True)
class InstallFacts:
    id: uuid.UUID
    user_id: uuid.UUID
    status: str
    is_active: bool
    registered_via: str | None
    via_code: bool  # a code made it, or linked its user (link_user with a code)
    sdk_version: str | None
    created_at: datetime
    last_seen: datetime


@dataclass(frozen=True)
class SdkVersionLine:
    sdk_version: str | None
    installs: int
    seen_recently: int  # within the report's window
    last_seen: datetime


@dataclass(frozen=True)
class MigrationReport:
    generated_at: datetime
    window_days: int
    users: int
    users_by_link: dict[str, int]
    live_installs_by_flow: dict[str, int]
    legacy_installs_by_sdk_version: list[SdkVersionLine]
    legacy_registrations_recent: int  # legacy installs registered within the window
    active_users: int  # users whose active install was seen within the window
    active_users_on_code_flow: int  # … and that install came by a code
    share_on_code_flow: float | None  # of active users; None without any
    legacy_registration_enabled: bool


def _is_legacy(install: InstallFacts) -> bool:
    """A device that initialises with the legacy flow: registered by app id and secret, and not
    linked by a code since."""
    return install.registered_via == LEGACY and not install.via_code


def linked_by(user: UserFacts, legacy_install_users: set[uuid.UUID]) -> LinkedBy:
    if not user.is_linked:
        return LinkedBy.UNLINKED
    legacy = user.id in legacy_install_users
    if user.via_code and legacy:
        return LinkedBy.BOTH
    return LinkedBy.LEGACY if legacy else LinkedBy.CODE


def migration_report(
    users: Iterable[UserFacts],
    installs: Iterable[InstallFacts],
    *,
    now: datetime,
    window_days: int,
    legacy_registration_enabled: bool,
) -> MigrationReport:
    since = now - timedelta(days=window_days)
    every_install = list(installs)
    legacy_users = {i.user_id for i in every_install if _is_legacy(i)}
    by_link = {kind.value: 0 for kind in LinkedBy}
    every_user = list(users)
    for user in every_user:
        by_link[linked_by(user, legacy_users).value] += 1
    live = [i for i in every_install if i.status == LIVE]
    by_flow = {CODE: 0, LEGACY: 0}
    versions: dict[str | None, list[InstallFacts]] = defaultdict(list)
    for install in live:
        by_flow[LEGACY if _is_legacy(install) else CODE] += 1
        if _is_legacy(install):
            versions[install.sdk_version].append(install)
    lines = [
        SdkVersionLine(
            sdk_version=version,
            installs=len(group),
            seen_recently=sum(1 for i in group if i.last_seen >= since),
            last_seen=max(i.last_seen for i in group),
        )
        for version, group in versions.items()
    ]
    lines.sort(key=lambda line: (-line.installs, line.sdk_version or ""))
    active = [i for i in live if i.is_active and i.last_seen >= since]
    on_code = sum(1 for i in active if not _is_legacy(i))
    return MigrationReport(
        generated_at=now,
        window_days=window_days,
        users=len(every_user),
        users_by_link=by_link,
        live_installs_by_flow=by_flow,
        legacy_installs_by_sdk_version=lines,
        legacy_registrations_recent=sum(
            1 for i in every_install if i.registered_via == LEGACY and i.created_at >= since
        ),
        active_users=len(active),
        active_users_on_code_flow=on_code,
        share_on_code_flow=round(on_code / len(active), 4) if active else None,
        legacy_registration_enabled=legacy_registration_enabled,
    )
