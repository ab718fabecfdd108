"""The velocity limit per external id: an existing user restored on new installs (a redemption
restoring it, a legacy link joining it) more often than the limit allows is refused with 429
`EXTERNAL_ID_VELOCITY_EXCEEDED` and `Retry-After`, nothing changes (the code stays unredeemed),
and the refusal is an identity event on the user's dashboard page.

The rate limiter counts in real time (the `limits` library), not on the live server's shiftable
clock: the test of the window moving on uses a window of seconds and waits it out."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from userlink.accounts.rules import Role
from userlink.models import auth_codes
from userlink.runtime import Runtime
from userlink_testing.dashboard import dashboard_client, log_in
from userlink_testing.factories.accounts import TestAccount, make_account
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import (
    issue_code,
    link,
    redeem,
    redeem_body,
    register_install,
    status,
)
from userlink_testing.factories.records import audit_rows

VELOCITY_EXCEEDED = "external_id.velocity_exceeded"


@dataclass(frozen=True)
class LimitedApp:
    """An app of its owner's organisation on a server enforcing `restores` per external id."""

    api: httpx.Client
    runtime: Runtime
    url: str
    app_id: uuid.UUID
    app_secret: str
    link_key: str
    owner: TestAccount


@pytest.fixture
def limited_app(limited_server) -> Iterator[Callable[[str], LimitedApp]]:
    clients: list[httpx.Client] = []

    def start(restores: str, storage: str = "memory://") -> LimitedApp:
        server = limited_server(
            rate_limit_restores_per_external_id=restores,
            rate_limit_redemption="1000/minute",
            rate_limit_storage_url=storage,
        )
        owner = make_account(server.runtime, role=Role.OWNER)
        created = make_app(server.runtime, organisation_id=owner.organisation_id)
        client = httpx.Client(base_url=server.url, timeout=30)
        clients.append(client)
        return LimitedApp(
            api=client,
            runtime=server.runtime,
            url=server.url,
            app_id=created.app.id,
            app_secret=created.secret,
            link_key=make_key(server.runtime, created.app.id, scopes=("user.link",)),
            owner=owner,
        )

    yield start
    for client in clients:
        client.close()


def redeem_response(app: LimitedApp, code: str) -> httpx.Response:
    return app.api.post("/sdk/v1/users", json=redeem_body(code))


def is_redeemed(app: LimitedApp, code: str) -> bool:
    with app.runtime.database.transaction() as connection:
        redeemed_at = connection.execute(
            select(auth_codes.c.redeemed_at).where(
                auth_codes.c.code_hash == app.runtime.hasher.hash(code)
            )
        ).scalar_one()
    return redeemed_at is not None


def test_restores_beyond_the_limit_are_refused_with_retry_after(limited_app):
    app = limited_app("2/hour")
    created = redeem(app.api, issue_code(app.api, app.link_key, "alice"))  # a creation: not counted
    restores = [redeem_response(app, issue_code(app.api, app.link_key, "alice")) for _ in range(3)]

    assert created["restored"] is False
    assert [r.status_code for r in restores] == [200, 200, 429]
    assert restores[2].json()["errorCode"] == "EXTERNAL_ID_VELOCITY_EXCEEDED"
    assert 3000 < int(restores[2].headers["Retry-After"]) <= 3600


def test_a_refused_restore_leaves_its_code_unredeemed_and_records_the_event(limited_app):
    app = limited_app("1/hour")
    first = redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    restoring_code = issue_code(app.api, app.link_key, "alice")
    redeem(app.api, restoring_code)
    refused_code = issue_code(app.api, app.link_key, "alice")

    refused = redeem_response(app, refused_code)

    assert refused.status_code == 429
    assert is_redeemed(app, restoring_code)
    assert not is_redeemed(app, refused_code)
    [event] = audit_rows(app.runtime, VELOCITY_EXCEEDED)
    assert str(event["user_id"]) == first["user_id"]
    assert event["details"]["via"] == "redemption"
    assert event["details"]["limit"] == "1/hour"
    assert "alice" not in str(event["details"])


def test_the_limit_is_per_external_id(limited_app):
    app = limited_app("1/hour")
    for external_id in ("alice", "bob"):
        redeem(app.api, issue_code(app.api, app.link_key, external_id))
        redeem(app.api, issue_code(app.api, app.link_key, external_id))

    carol_created = redeem_response(app, issue_code(app.api, app.link_key, "carol"))

    assert carol_created.status_code == 200
    assert audit_rows(app.runtime, VELOCITY_EXCEEDED) == []


def test_the_refused_code_works_once_the_window_moves_on(limited_app):
    app = limited_app("1/3 seconds")
    redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    code = issue_code(app.api, app.link_key, "alice")
    refused = redeem_response(app, code)
    assert refused.status_code == 429

    # Retry-After is whole seconds rounded down: one more covers the rounding.
    time.sleep(int(refused.headers["Retry-After"]) + 1)
    retried = redeem_response(app, code)

    assert retried.status_code == 200, retried.text
    assert retried.json()["restored"] is True


def test_legacy_links_joining_an_existing_user_count_against_the_limit(limited_app):
    app = limited_app("2/hour")
    alice = redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    installs = [register_install(app.api, app.app_id, app.app_secret) for _ in range(3)]

    answers = [link(app.api, app.link_key, i["install_id"], "alice") for i in installs]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["errorCode"] == "EXTERNAL_ID_VELOCITY_EXCEEDED"
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert answers[0].json()["id"] == alice["user_id"]
    # The refused install stays with its own (provisional) user, unlinked.
    assert status(app.api, installs[2]["credentials"]["access_token"])["is_linked"] is False
    [event] = audit_rows(app.runtime, VELOCITY_EXCEEDED)
    assert event["details"]["via"] == "link"
    assert event["actor"].startswith("api_key:")


def test_the_refusal_shows_on_the_users_dashboard_page(limited_app):
    app = limited_app("1/hour")
    alice = redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    redeem(app.api, issue_code(app.api, app.link_key, "alice"))
    redeem_response(app, issue_code(app.api, app.link_key, "alice"))

    with dashboard_client(app.url) as browser:
        log_in(browser, app.runtime, app.owner)
        page = browser.get(f"/dashboard/apps/{app.app_id}/users/{alice['user_id']}")

    events = re.findall(r'data-testid="event" data-event="([\w.]+)"', page.text)
    assert events[0] == VELOCITY_EXCEEDED  # newest first


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("USERLINK_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis tests skipped: set USERLINK_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    return url


def test_two_processes_on_one_redis_count_the_restores_of_an_id_together(limited_app, redis_url):
    first = limited_app("2/hour", storage=redis_url)
    other_process = limited_app("2/hour", storage=redis_url).api
    redeem(first.api, issue_code(first.api, first.link_key, "alice"))
    codes = [issue_code(first.api, first.link_key, "alice") for _ in range(3)]

    answers = [
        client.post("/sdk/v1/users", json=redeem_body(code))
        for client, code in zip((other_process, first.api, other_process), codes, strict=True)
    ]

    assert [a.status_code for a in answers] == [200, 200, 429]
