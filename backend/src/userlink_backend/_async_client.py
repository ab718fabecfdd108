"""`AsyncPlatformClient`: the server-to-server API for asyncio (the I/O shell over `_wire`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TypeVar

import httpx
from tenacity import AsyncRetrying

from . import _wire
from ._models import (
    AuthCode,
    CodePreview,
    EventPage,
    HeldPayload,
    HeldPayloadPage,
    IdentityEvent,
    LinkPreview,
    MigrationReport,
    TimelineItem,
    TimelinePage,
    Undo,
    User,
    WebhookEndpoint,
    WebhookMessage,
    WebhookMessagePage,
)
from ._retry import policy
from ._settings import Options

__all__ = ["AsyncPlatformClient"]

T = TypeVar("T")


class AsyncPlatformClient:
    """`PlatformClient`'s twin for asyncio: the same routes as coroutines.

    `base_url`: the platform (`https://platform.example.com`); `api_key`: a key with the scopes
    of the routes you call (`user.link`, `user.read`, `user.delete`, `user.admin`,
    `webhooks.manage`); `timeout`: seconds per
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

    async def preview_auth_code(
        self, external_id: str | int, *, code_challenge: str | None = None
    ) -> CodePreview:
        """`POST /users/auth-code/preview` (scope `user.link`): what a code for `external_id`
        would do, without minting one: create or restore, the user's installs, and what a phone
        or a tablet redeeming it would take over from (`takes_over_from_another_phone`)."""
        return await self._send(_wire.auth_code_preview(external_id, code_challenge))

    async def preview_link(self, install_id: str, external_id: str | int) -> LinkPreview:
        """`POST /v2/users/{install_id}/link/preview` (scope `user.link`): what
        `link_install` would do, without linking."""
        return await self._send(_wire.link_preview(install_id, external_id))

    async def events_page(
        self,
        user_id: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        types: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> EventPage:
        """One page of `GET /v2/users/{user_id}/events` (scope `user.read`), newest first:
        only `types` when given, `since` (inclusive) and `until` (exclusive), aware datetimes."""
        return await self._send(
            _wire.events_page(
                user_id, limit=limit, cursor=cursor, types=types, since=since, until=until
            )
        )

    async def iter_events(
        self,
        user_id: str,
        *,
        page_size: int = 100,
        types: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> AsyncIterator[IdentityEvent]:
        """The user's identity ledger, newest first, a page at a time as you iterate."""
        cursor: str | None = None
        while True:
            page = await self.events_page(
                user_id, limit=page_size, cursor=cursor, types=types, since=since, until=until
            )
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def undo_event(self, user_id: str, event_id: str | int) -> Undo:
        """`POST /v2/users/{user_id}/events/{event_id}/undo` (scope `user.admin`): undo a
        restore or a link. Sent with an `Idempotency-Key`, so a retry after a lost answer gets
        the first undo back (`replayed=True`) rather than `EVENT_ALREADY_UNDONE`."""
        return await self._send(_wire.undo_event(user_id, event_id))

    async def held_payloads_page(
        self,
        user_id: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        install_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> HeldPayloadPage:
        """One page of `GET /v2/users/{user_id}/held-payloads` (scope `user.read`)."""
        return await self._send(
            _wire.held_payloads_page(
                user_id,
                limit=limit,
                cursor=cursor,
                install_id=install_id,
                since=since,
                until=until,
            )
        )

    async def iter_held_payloads(
        self,
        user_id: str,
        *,
        page_size: int = 100,
        install_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> AsyncIterator[HeldPayload]:
        """The user's held payloads in timeline order, a page at a time as you iterate."""
        cursor: str | None = None
        while True:
            page = await self.held_payloads_page(
                user_id,
                limit=page_size,
                cursor=cursor,
                install_id=install_id,
                since=since,
                until=until,
            )
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def merge_held_payloads(
        self,
        user_id: str,
        *,
        install_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """`POST /v2/users/{user_id}/held-payloads/merge` (scope `user.link`): the held payloads
        chosen join the timeline in their place; returns how many."""
        return await self._send(
            _wire.merge_held_payloads(user_id, install_id=install_id, since=since, until=until)
        )

    async def migration_report(self, *, window_days: int = 30) -> MigrationReport:
        """`GET /v2/reports/migration` (scope `user.read`): how far the app's users moved from
        the legacy flow to codes."""
        return await self._send(_wire.migration_report(window_days))

    async def create_webhook(
        self,
        url: str,
        *,
        event_types: Sequence[str] | None = None,
        description: str = "",
        enabled: bool = True,
    ) -> WebhookEndpoint:
        """`POST /v2/webhooks` (scope `webhooks.manage`): the endpoint, with its `secret` shown
        this once. `event_types` None: every type. Not resent after a lost answer."""
        return await self._send(
            _wire.create_webhook(
                url, event_types=event_types, description=description, enabled=enabled
            )
        )

    async def list_webhooks(self) -> tuple[WebhookEndpoint, ...]:
        """`GET /v2/webhooks` (scope `webhooks.manage`), without secrets."""
        return await self._send(_wire.list_webhooks())

    async def get_webhook(self, endpoint_id: str) -> WebhookEndpoint:
        """`GET /v2/webhooks/{endpoint_id}` (scope `webhooks.manage`)."""
        return await self._send(_wire.get_webhook(endpoint_id))

    async def update_webhook(
        self,
        endpoint_id: str,
        *,
        url: str | _wire.Unset = _wire.UNSET,
        event_types: Sequence[str] | _wire.Unset | None = _wire.UNSET,
        description: str | _wire.Unset = _wire.UNSET,
        enabled: bool | _wire.Unset = _wire.UNSET,
    ) -> WebhookEndpoint:
        """`PATCH /v2/webhooks/{endpoint_id}` (scope `webhooks.manage`): changes the fields
        given (`event_types=None`: every type; `enabled=True` clears `disabled_reason`)."""
        return await self._send(
            _wire.update_webhook(
                endpoint_id,
                url=url,
                event_types=event_types,
                description=description,
                enabled=enabled,
            )
        )

    async def delete_webhook(self, endpoint_id: str) -> None:
        """`DELETE /v2/webhooks/{endpoint_id}` (scope `webhooks.manage`), its messages too."""
        await self._send(_wire.delete_webhook(endpoint_id))

    async def rotate_webhook_secret(
        self, endpoint_id: str, *, overlap_hours: int = 24
    ) -> WebhookEndpoint:
        """`POST /v2/webhooks/{endpoint_id}/rotate-secret` (scope `webhooks.manage`): the new
        `secret`, shown once; the previous one signs too for `overlap_hours`."""
        return await self._send(
            _wire.rotate_webhook_secret(endpoint_id, overlap_hours=overlap_hours)
        )

    async def webhook_messages_page(
        self,
        endpoint_id: str,
        *,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> WebhookMessagePage:
        """One page of `GET /v2/webhooks/{endpoint_id}/messages` (scope `webhooks.manage`),
        newest first; `status`: pending, delivered or dead; `before`: a page's `next_before`."""
        return await self._send(
            _wire.webhook_messages_page(endpoint_id, status=status, before=before, limit=limit)
        )

    async def iter_webhook_messages(
        self, endpoint_id: str, *, status: str | None = None, page_size: int = 50
    ) -> AsyncIterator[WebhookMessage]:
        """The endpoint's messages, newest first, a page at a time as you iterate."""
        before: int | None = None
        while True:
            page = await self.webhook_messages_page(
                endpoint_id, status=status, before=before, limit=page_size
            )
            for item in page.messages:
                yield item
            if page.next_before is None:
                return
            before = page.next_before

    async def redeliver_webhook_message(self, endpoint_id: str, message_id: str) -> WebhookMessage:
        """`POST /v2/webhooks/{endpoint_id}/messages/{message_id}/redeliver` (scope
        `webhooks.manage`): a delivered message or a dead letter sent again."""
        return await self._send(_wire.redeliver_webhook_message(endpoint_id, message_id))

    async def send_test_webhook(self, endpoint_id: str) -> WebhookMessage:
        """`POST /v2/webhooks/{endpoint_id}/test` (scope `webhooks.manage`): queues a
        `webhook.test` message to the endpoint."""
        return await self._send(_wire.send_test_webhook(endpoint_id))

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
