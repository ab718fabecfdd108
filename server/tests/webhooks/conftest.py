"""A server that may deliver to a receiver on 127.0.0.1 (`webhook_allow_insecure_targets`), on
the test database of the backend, and a receiver for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from userlink.webhooks.worker import Worker
from userlink_testing.backends import empty_all_tables
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.webhooks import worker
from userlink_testing.live import LiveServer, start_live_server, test_settings
from userlink_testing.receiver import Receiver


@pytest.fixture(scope="session")
def hooks_server(database_url: str) -> Iterator[LiveServer]:
    # The longest credential cache: an app's endpoint list read once stays for the whole test,
    # so what the process's own changes do is what the tests see (not an expiry).
    server = start_live_server(
        test_settings(
            database_url,
            webhook_allow_insecure_targets=True,
            webhook_timeout_seconds=1.0,
            credential_cache_seconds=60,
        )
    )
    yield server
    server.stop()


@pytest.fixture
def hooks(hooks_server: LiveServer) -> Iterator[LiveServer]:
    yield hooks_server
    hooks_server.clock.reset()
    empty_all_tables(hooks_server.runtime.database)
    hooks_server.runtime.lookups.clear()


@pytest.fixture
def hooks_api(hooks: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hooks.url, timeout=30) as client:
        yield client


@dataclass(frozen=True)
class HooksTenant:
    app_id: uuid.UUID
    hooks_key: str
    link_key: str


@pytest.fixture
def hooks_tenant(hooks: LiveServer) -> HooksTenant:
    created = make_app(hooks.runtime)
    return HooksTenant(
        app_id=created.app.id,
        hooks_key=make_key(hooks.runtime, created.app.id, scopes=("webhooks.manage",)),
        link_key=make_key(hooks.runtime, created.app.id, scopes=("user.link",)),
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def delivery(hooks: LiveServer) -> Iterator[Worker]:
    found = worker(hooks.runtime)
    yield found
    found.close()
