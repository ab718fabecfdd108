"""Whether an app's integration works, at a glance: per day over the last two weeks, codes issued,
redeemed, expired unredeemed and replays refused, and redemptions that restored a user rather
than created one; and the app's installs as they are now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from userlink.accounts.rules import Permission
from userlink.apps.service import App
from userlink.audit import service as audit
from userlink.audit.rules import AuditEvent
from userlink.auth_codes import service as auth_codes
from userlink.installs import service as installs
from userlink.installs.service import InstallCounts
from userlink.kit import periods
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.dashboard_access import Viewer, app_for

INSIGHT_DAYS = 14

COUNTED_EVENTS = (AuditEvent.CODE_REPLAY_REFUSED, AuditEvent.USER_CREATED, AuditEvent.USER_RESTORED)


@dataclass(frozen=True)
class AppInsight:
    app: App
    days: list[date]  # oldest first, today last (UTC)
    # One count per day, in the order of `days`.
    codes_issued: list[int]
    codes_redeemed: list[int]
    codes_expired: list[int]
    replays_refused: list[int]
    users_created: list[int]
    users_restored: list[int]
    installs: InstallCounts


def app_insight(
    work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID, *, days: int = INSIGHT_DAYS
) -> AppInsight:
    app = app_for(work, viewer, app_id, Permission.READ)
    window = periods.last_days(work.clock.now(), days)
    codes = auth_codes.per_day(work, app.id, window)
    # Replays and outcomes come from the audit log: a refused replay leaves no row elsewhere, and
    # the log keeps what a user's erasure removed from the codes.
    events = audit.per_day(work.connection, app.id, COUNTED_EVENTS, window)
    return AppInsight(
        app=app,
        days=window,
        codes_issued=codes.issued,
        codes_redeemed=codes.redeemed,
        codes_expired=codes.expired,
        replays_refused=events[AuditEvent.CODE_REPLAY_REFUSED],
        users_created=events[AuditEvent.USER_CREATED],
        users_restored=events[AuditEvent.USER_RESTORED],
        installs=installs.counts_in_app(work, app.id),
    )
