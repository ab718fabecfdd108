"""Health for orchestrators: liveness without the database, readiness with it and its migration."""

from __future__ import annotations

import asyncio

from userlink import migrate
from userlink.http.app import create_app
from userlink_testing import live as live_servers
from userlink_testing.live import get_in_process


def test_live_and_ready_on_a_migrated_database(api):
    live = api.get("/health/live")
    ready = api.get("/health/ready")

    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "migration": migrate.head_revision()}


def test_not_ready_while_the_database_is_behind_this_code(tmp_path):
    url = f"sqlite:///{tmp_path}/behind.db"
    migrate.upgrade(url, "0003")
    app = create_app(live_servers.test_settings(url))

    answer = asyncio.run(get_in_process(app, "/health/ready"))

    assert answer.status_code == 503
    assert answer.json()["errorCode"] == "NOT_READY"
    assert "run `userlink migrate`" in answer.json()["message"]
    assert asyncio.run(get_in_process(app, "/health/live")).status_code == 200


def test_not_ready_when_the_database_does_not_answer(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    app = create_app(live_servers.test_settings(url))

    answer = asyncio.run(get_in_process(app, "/health/ready"))

    assert answer.status_code == 503
    assert answer.json()["errorCode"] == "NOT_READY"
    assert "does not answer" in answer.json()["message"]
