"""Reports of an app, read in one transaction."""

from __future__ import annotations

from userlink.apps.service import App
from userlink.kit.clock import as_utc
from userlink.reports import rules
from userlink.reports.errors import InvalidReportWindow
from userlink.reports.repository import ReportRepository
from userlink.unit_of_work import UnitOfWork

DEFAULT_WINDOW_DAYS = 30


def migration(
    work: UnitOfWork, app: App, *, window_days: int = DEFAULT_WINDOW_DAYS
) -> rules.MigrationReport:
    """The legacy-to-code migration report of an app (two reads of its users and installs)."""
    if not 1 <= window_days <= 365:
        raise InvalidReportWindow()
    repository = ReportRepository(work.connection)
    users = [
        rules.UserFacts(
            id=row["id"], is_linked=bool(row["is_linked"]), via_code=bool(row["via_code"])
        )
        for row in repository.users_of_app(app.id)
    ]
    installs = [
        rules.InstallFacts(
            id=row["id"],
            user_id=row["user_id"],
            status=row["status"],
            is_active=bool(row["is_active"]),
            registered_via=row["registered_via"],
            via_code=bool(row["via_code"]),
            sdk_version=row["sdk_version"],
            created_at=as_utc(row["created_at"]),
            last_seen=as_utc(row["last_seen"] or row["created_at"]),
        )
        for row in repository.installs_of_app(app.id)
    ]
    return rules.migration_report(
        users,
        installs,
        now=work.clock.now(),
        window_days=window_days,
        legacy_registration_enabled=app.legacy_registration_enabled,
    )
