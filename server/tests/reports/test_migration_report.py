"""The legacy-to-code migration report, checked against a seeded history: users by how they
were linked, live installs by flow, legacy installs by SDK version and last seen, the share of
active users on the code flow; the same figures from the CLI (table and JSON) and the S2S
route; and the switch that refuses legacy registrations once the report says so."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from userlink_testing.factories.devices import (
    basic,
    bearer,
    confirm,
    issue_code,
    link,
    new_nonce,
    phone,
    redeem,
    register_install,
)


def legacy_install(
    api: httpx.Client, tenant: Any, sdk_version: str | None = None
) -> dict[str, Any]:
    app = {"sdk_version": sdk_version} if sdk_version else {}
    response = api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": phone(), "app": app},
        headers=basic(tenant.app_id, tenant.app_secret),
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def seeded(api, tenant, live) -> None:
    """erin: legacy (SDK 0.8.0), last seen 40 days ago. Then, recently: alice by code; bob by
    legacy link; carol by legacy link then a code on a new phone; dave legacy, kept unlinked."""
    erin = legacy_install(api, tenant, "0.8.0")
    assert link(api, tenant.link_key, erin["install_id"], "erin").status_code == 200
    live.clock.advance(days=40)
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    bob = register_install(api, tenant.app_id, tenant.app_secret)
    assert link(api, tenant.link_key, bob["install_id"], "bob").status_code == 200
    carol = register_install(api, tenant.app_id, tenant.app_secret)
    assert link(api, tenant.link_key, carol["install_id"], "carol").status_code == 200
    live.clock.advance(seconds=5)
    redeem(api, issue_code(api, tenant.link_key, "carol"))
    dave = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, dave["credentials"]["access_token"], established=True)


EXPECTED = {
    "window_days": 30,
    "users": 5,
    "users_by_link": {"code": 1, "legacy": 2, "both": 1, "unlinked": 1},
    "live_installs_by_flow": {"code": 2, "legacy": 4},
    "legacy_registrations_recent": 3,
    "active_users": 4,
    "active_users_on_code_flow": 2,
    "share_on_code_flow": 0.5,
    "legacy_registration_enabled": True,
}


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in EXPECTED}


def versions(report: dict[str, Any]) -> list[tuple[str | None, int, int]]:
    return [
        (line["sdk_version"], line["installs"], line["seen_recently"])
        for line in report["legacy_installs_by_sdk_version"]
    ]


def test_the_route_reports_the_seeded_history(api, tenant, seeded):
    response = api.get("/v2/reports/migration", headers=bearer(tenant.read_key))

    assert response.status_code == 200, response.text
    report = response.json()
    assert figures(report) == EXPECTED
    assert versions(report) == [(None, 3, 3), ("0.8.0", 1, 0)]


def test_a_wider_window_counts_the_old_install_as_recent(api, tenant, seeded):
    report = api.get(
        "/v2/reports/migration", params={"window_days": 60}, headers=bearer(tenant.read_key)
    ).json()

    assert report["active_users"] == 5
    assert versions(report) == [(None, 3, 3), ("0.8.0", 1, 1)]


def test_the_route_needs_the_read_scope_and_a_sane_window(api, tenant):
    wrong_scope = api.get("/v2/reports/migration", headers=bearer(tenant.link_key))
    bad_window = api.get(
        "/v2/reports/migration", params={"window_days": 0}, headers=bearer(tenant.read_key)
    )

    assert wrong_scope.json()["errorCode"] == "INSUFFICIENT_SCOPE"
    assert bad_window.status_code == 422


def test_an_app_without_users_has_no_share(api, tenant):
    report = api.get("/v2/reports/migration", headers=bearer(tenant.read_key)).json()

    assert report["users"] == 0
    assert report["share_on_code_flow"] is None
    assert report["legacy_installs_by_sdk_version"] == []


def test_the_cli_prints_the_same_figures_as_json(run, tenant, seeded, live):
    # The CLI reads the real clock: a window wide enough to hold the test clock's 40 days.
    result = run("report", "migration", str(tenant.app_id), "--json", "--window-days", "365")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["users_by_link"] == EXPECTED["users_by_link"]
    assert report["live_installs_by_flow"] == EXPECTED["live_installs_by_flow"]
    assert [
        (v["sdk_version"], v["installs"]) for v in report["legacy_installs_by_sdk_version"]
    ] == [
        (None, 3),
        ("0.8.0", 1),
    ]


def test_the_cli_prints_a_readable_table(run, tenant, seeded):
    result = run("report", "migration", str(tenant.app_id))

    assert result.exit_code == 0, result.output
    assert "linked by legacy install id    2" in result.output
    assert "linked by both                 1" in result.output
    assert "(unknown)" in result.output
    assert "0.8.0" in result.output


def test_the_cli_refuses_an_unknown_app(run):
    result = run("report", "migration", "00000000-0000-4000-8000-000000000000")

    assert result.exit_code == 1
    assert "APP_NOT_FOUND" in result.output


def test_legacy_registration_switched_off_refuses_legacy_inits_only(run, api, tenant):
    switched = run("apps", "set", str(tenant.app_id), "--no-legacy-registration")

    refused = api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": phone(), "app": {}},
        headers=basic(tenant.app_id, tenant.app_secret),
    )

    assert switched.exit_code == 0, switched.output
    assert "legacy registration   off" in switched.output
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "LEGACY_REGISTRATION_DISABLED"
    assert redeem(api, issue_code(api, tenant.link_key, "alice"))["restored"] is False
    report = api.get("/v2/reports/migration", headers=bearer(tenant.read_key)).json()
    assert report["legacy_registration_enabled"] is False
