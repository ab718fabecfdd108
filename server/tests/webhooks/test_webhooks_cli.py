"""`userlink webhooks …` and `userlink worker --once`, as an operator types them, against the
live server's database and a real receiver."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from conftest import Tenant
from userlink_testing.factories.devices import issue_code
from userlink_testing.live import LiveServer
from userlink_testing.receiver import Answer, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def field(output: str, name: str) -> str:
    match = re.search(rf"^{name}\s+(\S+)", output, re.MULTILINE)
    assert match is not None, output
    return match.group(1)


def test_create_prints_the_secret_once_and_list_never_shows_it(run, tenant: Tenant) -> None:
    created = run(
        "webhooks", "create", str(tenant.app_id), "https://example.com/h", "--type", "user.linked"
    )

    assert created.exit_code == 0, created.output
    secret = field(created.output, "secret")
    assert secret.startswith("whsec_")
    listed = run("webhooks", "list", str(tenant.app_id))
    assert field(created.output, "endpoint id") in listed.output
    assert "user.linked" in listed.output
    assert secret not in listed.output


def test_create_refuses_plain_http_outside_development(run, tenant: Tenant) -> None:
    result = run("webhooks", "create", str(tenant.app_id), "http://example.com/h")

    assert result.exit_code == 1
    assert "INVALID_WEBHOOK_URL" in result.output


def test_the_worker_delivers_and_a_dead_letter_is_redelivered(
    run, monkeypatch, live: LiveServer, api: httpx.Client, tenant: Tenant, receiver: Receiver
) -> None:
    monkeypatch.setenv("USERLINK_WEBHOOK_ALLOW_INSECURE_TARGETS", "true")
    app = str(tenant.app_id)
    endpoint = field(run("webhooks", "create", app, receiver.url).output, "endpoint id")
    # Another process's change reaches the server within credential_cache_seconds: not waited.
    live.runtime.lookups.clear()
    receiver.answer(Answer(410))
    issue_code(api, tenant.link_key, "alice")

    assert run("worker", "--once").exit_code == 0
    dead = run("webhooks", "messages", app, endpoint, "--status", "dead").output
    [message_id] = re.findall(r"msg_[0-9a-f]+", dead)
    assert "disabled" in run("webhooks", "list", app).output

    assert run("webhooks", "redeliver", app, endpoint, message_id).exit_code == 0
    assert run("webhooks", "update", app, endpoint, "--enable").exit_code == 0
    assert run("worker", "--once").exit_code == 0

    assert [r.headers["webhook-id"] for r in receiver.received] == [message_id, message_id]
    assert " delivered " in run("webhooks", "messages", app, endpoint).output


def test_rotate_secret_prints_the_new_secret_and_the_overlap(run, tenant: Tenant) -> None:
    app = str(tenant.app_id)
    endpoint = field(run("webhooks", "create", app, "https://example.com/h").output, "endpoint id")

    rotated = run("webhooks", "rotate-secret", app, endpoint, "--overlap-hours", "2")

    assert rotated.exit_code == 0, rotated.output
    assert field(rotated.output, "secret").startswith("whsec_")
    assert "signs too until" in rotated.output


def test_an_unknown_endpoint_is_reported(run, tenant: Tenant) -> None:
    result = run("webhooks", "delete", str(tenant.app_id), str(tenant.app_id))

    assert result.exit_code == 1
    assert "WEBHOOK_ENDPOINT_NOT_FOUND" in result.output
