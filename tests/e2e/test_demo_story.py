"""The `make demo` story as an end-to-end test: the runtime (HTTP, and HTTPS on the same
database), the reference customer backend and the example device app, as real processes on real
sockets, on each database backend. The story runs once per backend; each test checks one step's
result (what the step saw), never the printed report."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "customer_backend",
    reason="the reference customer backend is not installed: "
    "pip install -c constraints.txt -e examples/customer_backend",
)
pytest.importorskip(
    "userlink_demo",
    reason="the demo is not installed: "
    "pip install -c constraints.txt -e examples/device_app -e examples/demo",
)

from userlink.db import Database
from userlink_demo import Environment, StoryResult, run_story, running_environment
from userlink_testing.backends import build_engine, empty_all_tables

STEPS = [
    "signup-creates-user",
    "phone-payload",
    "reinstall-restores",
    "reinstalled-payload",
    "tablet-inactive",
    "tablet-payload-held",
    "new-phone-active",
    "only-active-processed",
    "timeline",
    "restore-displaces",
    "webhook-received",
    "late-payload-held",
    "held-merged",
    "wrong-restore",
    "restore-undone",
    "unattested-refused",
    "stolen-code-refused",
    "legacy-linked",
    "legacy-link-failed",
    "legacy-relinked",
    "switch-user",
    "handover",
    "pin-accepted",
    "pin-refused",
]


@pytest.fixture(scope="module")
def demo_env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """Everything the demo starts, on this backend's test database (the story makes its own
    app there, so it shares the database with nothing). Emptied afterwards, as every test's
    server leaves it: the tests after these read whole tables (a ledger's events, say)."""
    with running_environment(tmp_path_factory.mktemp("demo"), database_url=database_url) as env:
        yield env
    database = Database(build_engine(database_url), max_connections=1)
    try:
        empty_all_tables(database)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def story(demo_env: Environment) -> StoryResult:
    return run_story(demo_env)


def assert_step(story: StoryResult, key: str) -> None:
    step = story.step(key)
    assert step.ok, f"{step.title}: {step.detail}"


def test_the_story_plays_every_step(story):
    assert [step.key for step in story.steps] == STEPS


def test_sign_up_on_a_phone_creates_an_active_user(story):
    assert_step(story, "signup-creates-user")


def test_the_active_phone_payload_is_processed(story):
    assert_step(story, "phone-payload")


def test_reinstall_restores_the_same_user_on_a_new_active_install(story):
    assert_step(story, "reinstall-restores")


def test_the_reinstalled_phone_payload_is_processed(story):
    assert_step(story, "reinstalled-payload")


def test_a_tablet_joins_the_user_inactive_while_a_phone_is_active(story):
    assert_step(story, "tablet-inactive")


def test_the_inactive_tablet_payload_is_not_processed(story):
    assert_step(story, "tablet-payload-held")


def test_a_new_phone_becomes_active_and_the_old_phone_inactive(story):
    assert_step(story, "new-phone-active")


def test_only_the_active_install_payloads_are_processed(story):
    assert_step(story, "only-active-processed")


def test_the_timeline_is_one_sequence_across_installs(story):
    assert_step(story, "timeline")


def test_a_restore_on_a_new_phone_tells_the_old_one_why_and_since_when(story):
    assert_step(story, "restore-displaces")


def test_the_customer_backend_receives_the_signed_install_displaced(story):
    assert_step(story, "webhook-received")


def test_the_old_phones_late_payload_is_held_not_processed(story):
    assert_step(story, "late-payload-held")


def test_held_payloads_merge_into_the_timeline_in_order(story):
    assert_step(story, "held-merged")


def test_a_restore_on_a_shared_phone_takes_over_the_users_timeline(story):
    assert_step(story, "wrong-restore")


def test_the_wrong_restore_is_undone_and_both_timelines_stay_continuous(story):
    assert_step(story, "restore-undone")


def test_a_device_without_attestation_gets_no_code(story):
    assert_step(story, "unattested-refused")


def test_a_stolen_code_bound_to_another_device_is_refused(story):
    assert_step(story, "stolen-code-refused")


def test_legacy_init_links_the_install_through_the_backend(story):
    assert_step(story, "legacy-linked")


def test_legacy_init_while_logged_out_fails_with_link_failed(story):
    assert_step(story, "legacy-link-failed")


def test_legacy_init_after_login_links_the_same_user_again(story):
    assert_step(story, "legacy-relinked")


def test_logout_then_another_user_gets_a_different_platform_user(story):
    assert_step(story, "switch-user")


def test_resetting_the_active_phone_hands_over_to_the_remaining_phone(story):
    assert_step(story, "handover")


def test_the_right_pin_creates_the_user_over_https(story):
    assert_step(story, "pin-accepted")


def test_a_wrong_pin_is_refused_before_anything_is_sent(story):
    assert_step(story, "pin-refused")


# The CLI itself, as a customer would run it (subprocesses), against the same processes.


def device_app(env: Environment, device: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "device_app",
            "--device",
            str(device),
            "--backend",
            env.backend_url,
            "--attestation-key",
            str(env.attestation.private_key),
            "--package-name",
            env.package_name,
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DEVICE_APP_PASSWORD": "a password for the cli test"},
    )


def test_the_cli_signs_up_creates_the_user_and_reports_an_active_install(demo_env, tmp_path):
    device = tmp_path / "cli-phone"
    phone = ("--platform", "android", "--model", "Pixel 8", "--diagonal", "6.2")

    signup = device_app(demo_env, device, *phone, "signup", "erin")
    created = device_app(demo_env, device, "create-user")
    status = device_app(demo_env, device, "status")

    assert (signup.returncode, created.returncode, status.returncode) == (0, 0, 0), (
        signup.stderr + created.stderr + status.stderr
    )
    assert created.stdout.startswith("user ")
    assert " created; install " in created.stdout
    assert status.stdout.startswith("erin logged in; user ")
    assert status.stdout.rstrip().endswith(" active")
    assert (device / "session.json").stat().st_mode & 0o777 == 0o600


def test_the_cli_exits_non_zero_with_the_reason_when_a_user_exists(demo_env, tmp_path):
    device = tmp_path / "cli-phone"
    assert device_app(demo_env, device, "signup", "frank").returncode == 0
    assert device_app(demo_env, device, "create-user").returncode == 0

    again = device_app(demo_env, device, "create-user")

    assert again.returncode == 1
    assert again.stderr.startswith("error: USER_ALREADY_EXISTS: ")
    assert again.stdout == ""


def test_the_cli_refuses_to_create_a_user_before_login(demo_env, tmp_path):
    result = device_app(demo_env, tmp_path / "cli-phone", "create-user")

    assert result.returncode == 1
    assert result.stderr.startswith("error: NOT_LOGGED_IN: ")
