"""`AsyncPlatformClient`: the server-to-server API for asyncio (the I/O shell over `_wire`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TypeVar

import httpx
from tenacity import AsyncRetrying

from . import _wire
from ._models import AuthCode, TimelineItem, TimelinePage, User
from ._retry import policy
from ._settings import Options

__all__ = ["AsyncPlatformClient"]

T = TypeVar("T")


class AsyncPlatformClient:
    """`PlatformClient`'s twin for asyncio: the same routes as coroutines.

    `base_url`: the platform (`https://platform.example.com`); `api_key`: a key with the scopes
    of the routes you call (`user.link`, `user.read`, `user.delete`); `timeout`: seconds per
    HTTP request; `max_retries`: more attempts on a transient failure; `max_retry_wait`: the
    longest `Retry-After` waited for (a longer one fails at once with `RateLimitError`).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 10.0,
        max_retries: int = 3,
        max_retry_wait: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._options = Options.check(base_url, api_key, max_retries, max_retry_wait)
        self._http = httpx.AsyncClient(
            base_url=self._options.base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers=self._options.default_headers,
        )
        self._sleep = sleep or asyncio.sleep

    def __repr__(self) -> str:
        return f"AsyncPlatformClient({self._options.base_url!r})"

    # -- the routes --------------------------------------------------------------------------

    async def issue_auth_code(
        self, external_id: str | int, *, code_challenge: str | None = None
    ) -> AuthCode:
        """`POST /users/auth-code` (scope `user.link`): a code for the app's SDK to create or
        restore the user of `external_id`; bound to the device that made `code_challenge` (the
        SDK's `begin_user_creation()`, PKCE S256) when one is given."""
        return await self._send(_wire.auth_code(external_id, code_challenge))

    async def link_install(self, install_id: str, external_id: str | int) -> str:
        """`POST /v2/users/{install_id}/link` (scope `user.link`): the legacy link; returns the
        id of the user the install belongs to from now on."""
        return await self._send(_wire.link_install(install_id, external_id))

    async def get_user(self, user_id: str) -> User:
        """`GET /v2/users/{user_id}` (scope `user.read`)."""
        return await self._send(_wire.get_user(user_id))

    async def get_user_by_external_id(self, external_id: str | int) -> User:
        """`GET /v2/users?external_id=…` (scope `user.read`); `NotFoundError` when none."""
        return await self._send(_wire.get_user_by_external_id(external_id))

    async def timeline_page(
        self, user_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> TimelinePage:
        """One page of `GET /v2/users/{user_id}/timeline` (scope `user.read`)."""
        return await self._send(_wire.timeline_page(user_id, limit=limit, cursor=cursor))

    async def iter_timeline(
        self, user_id: str, *, page_size: int = 100
    ) -> AsyncIterator[TimelineItem]:
        """The whole timeline, oldest first, fetched a page at a time as you iterate
        (`async for item in client.iter_timeline(user_id)`)."""
        cursor: str | None = None
        while True:
            page = await self.timeline_page(user_id, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def delete_user(self, user_id: str) -> None:
        """`DELETE /users/{user_id}` (scope `user.delete`): erases the user and its data."""
        await self._send(_wire.delete_user(user_id))

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncPlatformClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the shell ---------------------------------------------------------------------------

    async def _send(self, call: _wire.Call[T]) -> T:
        headers = _wire.headers_for(call, self._options.api_key)
        attempts = _wire.Attempts()
        retrying = AsyncRetrying(
            sleep=self._sleep,
            **policy(
                call,
                max_retries=self._options.max_retries,
                max_retry_wait=self._options.max_retry_wait,
            ),
        )
        result: T = await retrying(self._attempt, call, headers, attempts)
        return result

    async def _attempt(
        self, call: _wire.Call[T], headers: dict[str, str], attempts: _wire.Attempts
    ) -> T:
        try:
            response = await self._http.request(
                call.method, call.path, json=call.json, params=call.params, headers=headers
            )
        except httpx.TransportError as exc:
            attempts.lost_answer = True
            raise _wire.connection_error(exc) from exc
        return _wire.finish(call, response, attempts)
