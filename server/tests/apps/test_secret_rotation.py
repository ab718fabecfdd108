"""Rotating an app's secret (the service, the CLI, the legacy SDK init that checks it): the new
secret works at once, the previous one only for the overlap, and only one previous is kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from userlink.apps import rules
from userlink.apps import service as apps
from userlink.apps.errors import AppNotFound, InvalidAppName, InvalidSecretOverlap
from userlink.kit.ids import new_id
from userlink.models import apps as apps_table
from userlink.models import organisations
from userlink.runtime import Runtime
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import basic, new_nonce, phone
from userlink_testing.factories.records import audit_rows, rows

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
APP_SECRET = re.compile(r"\buls_[0-9A-Za-z]{46}\b")


def legacy_init(api: httpx.Client, app_id: object, secret: str) -> httpx.Response:
    return api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": phone(), "app": {}},
        headers=basic(app_id, secret),
    )


def rotate(runtime: Runtime, app_id: object, overlap: timedelta) -> apps.RotatedSecret:
    with runtime.unit_of_work() as work:
        return apps.rotate_secret(work, app_id, overlap=overlap)  # type: ignore[arg-type]


def test_previous_secret_opens_legacy_inits_during_the_overlap_only(api, runtime, live):
    created = make_app(runtime)

    rotated = rotate(runtime, created.app.id, timedelta(hours=24))

    assert legacy_init(api, created.app.id, created.secret).status_code == 201
    assert legacy_init(api, created.app.id, rotated.secret).status_code == 201
    live.clock.advance(hours=23, minutes=59)
    assert legacy_init(api, created.app.id, created.secret).status_code == 201
    live.clock.advance(minutes=1)
    refused = legacy_init(api, created.app.id, created.secret)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "INVALID_APP_CREDENTIALS"
    assert legacy_init(api, created.app.id, rotated.secret).status_code == 201


def test_rotation_without_overlap_keeps_no_previous_secret(api, runtime):
    created = make_app(runtime)

    rotated = rotate(runtime, created.app.id, timedelta(0))

    assert rotated.previous_secret_expires_at is None
    [stored] = rows(runtime, apps_table, id=created.app.id)
    assert stored["previous_secret_hash"] is None
    assert legacy_init(api, created.app.id, created.secret).status_code == 401


def test_second_rotation_ends_the_oldest_secret_at_once(api, runtime):
    created = make_app(runtime)
    first = rotate(runtime, created.app.id, timedelta(hours=24))

    second = rotate(runtime, created.app.id, timedelta(hours=24))

    assert legacy_init(api, created.app.id, created.secret).status_code == 401
    assert legacy_init(api, created.app.id, first.secret).status_code == 201
    assert legacy_init(api, created.app.id, second.secret).status_code == 201


def test_previous_secret_of_one_app_does_not_open_another(api, runtime):
    created = make_app(runtime)
    other = make_app(runtime, name="Other app")
    rotate(runtime, created.app.id, timedelta(hours=1))

    assert legacy_init(api, other.app.id, created.secret).status_code == 401


def test_rotation_is_audited_with_its_overlap(runtime):
    created = make_app(runtime)

    rotate(runtime, created.app.id, timedelta(hours=1))

    [event] = audit_rows(runtime, "app.secret_rotated")
    assert event["app_id"] == created.app.id
    assert event["actor"] == "cli"
    assert event["details"] == {"overlap_seconds": 3600}


def test_previous_secret_expiry_is_told_while_it_works(runtime, live):
    created = make_app(runtime)
    rotated = rotate(runtime, created.app.id, timedelta(hours=1))

    with runtime.unit_of_work() as work:
        during = apps.previous_secret_expiry(work, created.app.id)
    live.clock.advance(hours=1)
    with runtime.unit_of_work() as work:
        after = apps.previous_secret_expiry(work, created.app.id)

    assert during == rotated.previous_secret_expires_at
    assert after is None


@pytest.mark.parametrize("overlap", [timedelta(seconds=-1), timedelta(days=7, seconds=1)])
def test_overlap_outside_zero_to_seven_days_is_refused(runtime, overlap):
    created = make_app(runtime)

    with pytest.raises(InvalidSecretOverlap):
        rotate(runtime, created.app.id, overlap)


def test_rotating_an_unknown_app_is_refused(runtime):
    with pytest.raises(AppNotFound):
        rotate(runtime, new_id(), timedelta(0))


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_app_name_empty_or_too_long_is_refused(runtime, name):
    with pytest.raises(InvalidAppName):
        make_app(runtime, name=name)


def test_settings_change_records_only_what_changed(runtime):
    created = make_app(runtime, code_lifetime_seconds=60)

    with runtime.unit_of_work() as work:
        apps.update_settings(
            work, created.app.id, code_lifetime_seconds=60, linking_enabled=False, actor="cli"
        )
    with runtime.unit_of_work() as work:
        apps.update_settings(work, created.app.id, code_lifetime_seconds=60)

    [event] = audit_rows(runtime, "app.settings_changed")
    assert event["details"] == {"linking_enabled": False}


@given(
    expires_in=st.one_of(st.none(), st.integers(min_value=-10_000, max_value=10_000)),
)
def test_previous_secret_works_exactly_before_its_expiry(expires_in):
    expires_at = None if expires_in is None else NOW + timedelta(seconds=expires_in)

    assert rules.previous_secret_open(expires_at, NOW) == (
        expires_in is not None and expires_in > 0
    )


# The CLI


def test_cli_rotates_a_secret_with_an_overlap(run, api, runtime):
    created = make_app(runtime)

    result = run("apps", "rotate-secret", str(created.app.id), "--overlap-hours", "2")

    assert result.exit_code == 0, result.output
    [secret] = APP_SECRET.findall(result.output)
    assert "works until" in result.output
    assert legacy_init(api, created.app.id, secret).status_code == 201
    assert legacy_init(api, created.app.id, created.secret).status_code == 201


def test_cli_refuses_an_overlap_beyond_a_week(run, runtime):
    created = make_app(runtime)

    result = run("apps", "rotate-secret", str(created.app.id), "--overlap-hours", "169")

    assert result.exit_code != 0
    assert APP_SECRET.findall(result.output) == []


def test_cli_creates_an_app_in_an_organisation(run, runtime):
    result = run("apps", "create", "Shop app", "--org", "Acme")

    assert result.exit_code == 0, result.output
    [organisation] = rows(runtime, organisations, name="Acme")
    [stored] = rows(runtime, apps_table, name="Shop app")
    assert stored["organisation_id"] == organisation["id"]
