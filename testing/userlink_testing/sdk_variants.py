"""The device SDK in both its forms for one set of tests: `UserLink`, and `AsyncUserLink` driven
from the test's thread (each coroutine runs on an event loop in a thread of its own, through an
anyio blocking portal), so a test written against the sync calls runs against both.

`make_variant(kind, state_dir, **kwargs)` takes `UserLink`'s arguments: for the async form a
sync `sleep` is wrapped in a coroutine and a sync transport in an async one.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from userlink_sdk import AsyncUserLink, UserLink

SDK_KINDS = ("sync", "async")


class AsyncFromSync(httpx.AsyncBaseTransport):
    """A sync transport of a test (a fault injector around a real transport) for AsyncUserLink;
    it blocks the SDK's loop while it runs, which the tests' one device at a time allows."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = self.inner.handle_request(request)
        content = response.read()
        response.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")},
        )

    async def aclose(self) -> None:
        self.inner.close()


class Blocking:
    """An async client with its sync twin's blocking face (`AsyncUserLink` as `UserLink`,
    `AsyncPlatformClient` as `PlatformClient`): every coroutine is awaited on the portal's
    loop, an async iterator is drained there into a list, and `close()` awaits `aclose()`."""

    def __init__(self, portal: BlockingPortal, inner: Any) -> None:
        self._portal = portal
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if inspect.iscoroutinefunction(value):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._portal.call(functools.partial(value, *args, **kwargs))

            return call
        if inspect.isasyncgenfunction(value):

            def drain(*args: Any, **kwargs: Any) -> Iterator[Any]:
                async def collect() -> list[Any]:
                    return [item async for item in value(*args, **kwargs)]

                return iter(self._portal.call(collect))

            return drain
        return value

    def close(self) -> None:
        self._portal.call(self.inner.aclose)


def _async_sleep(sleep: Callable[[float], Any]) -> Callable[[float], Awaitable[None]]:
    async def wait(seconds: float) -> None:
        sleep(seconds)

    return wait


@contextlib.contextmanager
def sdk_factory(kind: str) -> Iterator[Callable[..., Any]]:
    """`make(state_dir, **UserLink kwargs)` for `kind` ("sync" or "async"); closes what it
    made on exit."""
    with contextlib.ExitStack() as stack:
        made: list[Any] = []
        portal: BlockingPortal | None = None

        def make(state_dir: Path, **kwargs: Any) -> Any:
            nonlocal portal
            if kind == "sync":
                sdk: Any = UserLink(state_dir, **kwargs)
            else:
                if portal is None:
                    portal = stack.enter_context(start_blocking_portal())
                if kwargs.get("sleep") is not None:
                    kwargs["sleep"] = _async_sleep(kwargs["sleep"])
                transport = kwargs.get("transport")
                if isinstance(transport, httpx.BaseTransport) and not isinstance(
                    transport, httpx.AsyncBaseTransport
                ):
                    kwargs["transport"] = AsyncFromSync(transport)
                sdk = Blocking(portal, AsyncUserLink(state_dir, **kwargs))
            made.append(sdk)
            return sdk

        try:
            yield make
        finally:
            for sdk in made:
                sdk.close()
