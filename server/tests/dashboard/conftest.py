"""Fixtures of the dashboard's tests: a client that behaves like a browser without one (cookies
kept, redirects not followed, so each answer can be looked at)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from userlink_testing.dashboard import dashboard_client


@pytest.fixture
def browser(live) -> Iterator[httpx.Client]:
    with dashboard_client(live.url) as client:
        yield client
