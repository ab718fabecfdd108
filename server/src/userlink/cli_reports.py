"""`userlink report …`: reports an app's owner reads to decide. `migration APP_ID`: how far the
app's users moved from the legacy flow (install ids) to authentication codes."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from userlink.apps import service as apps
from userlink.config import Settings
from userlink.errors import UserlinkError
from userlink.kit.clock import SystemClock, iso_utc
from userlink.reports import service as reports
from userlink.reports.rules import MigrationReport
from userlink.runtime import build_runtime

report_cli = typer.Typer(help="Reports on an app.", no_args_is_help=True)


@report_cli.command("migration")
def migration_report(
    app_id: str,
    window_days: Annotated[
        int, typer.Option(help="Recently seen: within this many days (1-365).")
    ] = reports.DEFAULT_WINDOW_DAYS,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """How far an app moved from the legacy flow to authentication codes."""
    try:
        parsed = uuid.UUID(app_id)
    except ValueError as error:
        raise typer.BadParameter(f"{app_id!r} is not an id") from error
    try:
        settings = Settings()
    except ValidationError as error:
        # Never the input: it holds the secret key and the database URL (as `userlink` does).
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        typer.secho(f"Invalid settings: {problems}", fg="red", err=True)
        raise typer.Exit(2) from None
    runtime = build_runtime(settings, SystemClock())
    try:
        with runtime.unit_of_work() as work:
            report = reports.migration(work, apps.get_app(work, parsed), window_days=window_days)
    except UserlinkError as error:
        typer.secho(f"{error.error_code}: {error.message}", fg="red", err=True)
        raise typer.Exit(1) from error
    finally:
        runtime.database.dispose()
    if as_json:
        typer.echo(json.dumps(report_json(report), indent=2))
    else:
        typer.echo(report_table(report))


def report_json(report: MigrationReport) -> dict[str, Any]:
    """The report as JSON (the same as `GET /v2/reports/migration`)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return iso_utc(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    data: dict[str, Any] = plain(asdict(report))
    return data


def report_table(report: MigrationReport) -> str:
    share = f"{report.share_on_code_flow:.1%}" if report.share_on_code_flow is not None else "n/a"
    by_link = report.users_by_link
    lines = [
        f"Migration report, {iso_utc(report.generated_at)}; recently = the last "
        f"{report.window_days} days",
        "",
        f"users                            {report.users}",
        f"  linked by code                 {by_link['code']}",
        f"  linked by legacy install id    {by_link['legacy']}",
        f"  linked by both                 {by_link['both']}",
        f"  unlinked                       {by_link['unlinked']}",
        f"live installs on the code flow   {report.live_installs_by_flow['code']}",
        f"live installs on the legacy flow {report.live_installs_by_flow['legacy']}",
        f"legacy registrations, recently   {report.legacy_registrations_recent}",
        f"active users (seen recently)     {report.active_users}",
        f"  on the code flow               {report.active_users_on_code_flow} ({share})",
        f"legacy registration              {'on' if report.legacy_registration_enabled else 'off'}",
        "",
        "legacy installs by SDK version",
        f"  {'sdk version':<20} {'installs':>8} {'recently':>8}  last seen",
    ]
    for line in report.legacy_installs_by_sdk_version:
        lines.append(
            f"  {(line.sdk_version or '(unknown)'):<20} {line.installs:>8} "
            f"{line.seen_recently:>8}  {iso_utc(line.last_seen)}"
        )
    if not report.legacy_installs_by_sdk_version:
        lines.append("  (none)")
    return "\n".join(lines)
