"""Fixtures: the backend library in both its forms (`PlatformClient`, and `AsyncPlatformClient`
through a blocking face), against the live platform (root conftest: both database backends) or
an `httpx.MockTransport`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from userlink_backend import AsyncPlatformClient, PlatformClient
from userlink_testing.sdk_variants import Blocking

KINDS = ("sync", "async")


@pytest.fixture(params=KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the clients asked for: recorded, never slept."""
    return []


MakeClient = Callable[..., Any]


@pytest.fixture
def make_client(client_kind: str, sleeps: list[float]) -> Iterator[MakeClient]:
    """`make_client(base_url, api_key, handler=None, **kwargs)`: a PlatformClient, or an
    AsyncPlatformClient with the same blocking face; `handler` answers through MockTransport."""
    with contextlib.ExitStack() as stack:
        made: list[Any] = []

        def make(
            base_url: str,
            api_key: str,
            handler: Callable[[httpx.Request], httpx.Response] | None = None,
            **kwargs: Any,
        ) -> Any:
            if handler is not None:
                kwargs["transport"] = httpx.MockTransport(handler)
            if client_kind == "sync":
                client: Any = PlatformClient(base_url, api_key, sleep=sleeps.append, **kwargs)
            else:
                portal = stack.enter_context(start_blocking_portal())

                async def sleep(seconds: float) -> None:
                    sleeps.append(seconds)

                client = Blocking(
                    portal, AsyncPlatformClient(base_url, api_key, sleep=sleep, **kwargs)
                )
            made.append(client)
            return client

        yield make
        for client in made:
            client.close()
