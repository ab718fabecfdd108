"""`GET /v2/reports/migration` (server-to-server, scope user.read): the legacy-to-code migration
report of the key's app, as `userlink report migration APP_ID --json` prints it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from userlink.http.credentials import API_KEY_ERRORS, ReadKey
from userlink.http.envelope import error_responses
from userlink.http.examples import examples
from userlink.http.responses import model_response
from userlink.http.schemas import examples as ex
from userlink.http.schemas.reports import MigrationReportOut, SdkVersionLineOut
from userlink.http.transactions import run
from userlink.reports import service as reports
from userlink.reports.errors import InvalidReportWindow
from userlink.reports.rules import MigrationReport

router = APIRouter(tags=["server-to-server"])


@router.get(
    "/v2/reports/migration",
    response_model=MigrationReportOut,
    responses=error_responses(*API_KEY_ERRORS, InvalidReportWindow),
    openapi_extra=examples(response=ex.MIGRATION_REPORT),
    summary="How far your users moved from the legacy flow to authentication codes",
)
async def migration_report(
    request: Request,
    key: ReadKey,
    window_days: Annotated[
        int,
        Query(ge=1, le=365, description="'Recently' means seen within this many days."),
    ] = reports.DEFAULT_WINDOW_DAYS,
) -> Response:
    report = await run(
        request,
        lambda work: reports.migration(work, key.authenticate(work).app, window_days=window_days),
        key.limit,
    )
    return model_response(report_out(report))


def report_out(report: MigrationReport) -> MigrationReportOut:
    return MigrationReportOut(
        generated_at=report.generated_at,
        window_days=report.window_days,
        users=report.users,
        users_by_link=report.users_by_link,
        live_installs_by_flow=report.live_installs_by_flow,
        legacy_installs_by_sdk_version=[
            SdkVersionLineOut(
                sdk_version=line.sdk_version,
                installs=line.installs,
                seen_recently=line.seen_recently,
                last_seen=line.last_seen,
            )
            for line in report.legacy_installs_by_sdk_version
        ],
        legacy_registrations_recent=report.legacy_registrations_recent,
        active_users=report.active_users,
        active_users_on_code_flow=report.active_users_on_code_flow,
        share_on_code_flow=report.share_on_code_flow,
        legacy_registration_enabled=report.legacy_registration_enabled,
    )
