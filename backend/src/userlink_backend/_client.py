"""`PlatformClient`: the server-to-server API, blocking (the I/O shell over `_wire`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import TypeVar

import httpx
from tenacity import Retrying

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

__all__ = ["PlatformClient"]

T = TypeVar("T")


class PlatformClient:
    """The platform's server-to-server routes with your API key.

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
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._options = Options.check(base_url, api_key, max_retries, max_retry_wait)
        self._http = httpx.Client(
            base_url=self._options.base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers=self._options.default_headers,
        )
        self._sleep = sleep or time.sleep

    def __repr__(self) -> str:
        return f"PlatformClient({self._options.base_url!r})"

    # -- the routes --------------------------------------------------------------------------

    def issue_auth_code(
        self, external_id: str | int, *, code_challenge: str | None = None
    ) -> AuthCode:
        """`POST /users/auth-code` (scope `user.link`): a code for the app's SDK to create or
        restore the user of `external_id`; bound to the device that made `code_challenge` (the
        SDK's `begin_user_creation()`, PKCE S256) when one is given."""
        return self._send(_wire.auth_code(external_id, code_challenge))

    def link_install(self, install_id: str, external_id: str | int) -> str:
        """`POST /v2/users/{install_id}/link` (scope `user.link`): the legacy link; returns the
        id of the user the install belongs to from now on."""
        return self._send(_wire.link_install(install_id, external_id))

    def get_user(self, user_id: str) -> User:
        """`GET /v2/users/{user_id}` (scope `user.read`)."""
        return self._send(_wire.get_user(user_id))

    def get_user_by_external_id(self, external_id: str | int) -> User:
        """`GET /v2/users?external_id=…` (scope `user.read`); `NotFoundError` when none."""
        return self._send(_wire.get_user_by_external_id(external_id))

    def timeline_page(
        self, user_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> TimelinePage:
        """One page of `GET /v2/users/{user_id}/timeline` (scope `user.read`)."""
        return self._send(_wire.timeline_page(user_id, limit=limit, cursor=cursor))

    def iter_timeline(self, user_id: str, *, page_size: int = 100) -> Iterator[TimelineItem]:
        """The whole timeline, oldest first, fetched a page at a time as you iterate."""
        cursor: str | None = None
        while True:
            page = self.timeline_page(user_id, limit=page_size, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def delete_user(self, user_id: str) -> None:
        """`DELETE /users/{user_id}` (scope `user.delete`): erases the user and its data."""
        self._send(_wire.delete_user(user_id))

    def preview_auth_code(
        self, external_id: str | int, *, code_challenge: str | None = None
    ) -> CodePreview:
        """`POST /users/auth-code/preview` (scope `user.link`): what a code for `external_id`
        would do, without minting one: create or restore, the user's installs, and what a phone
        or a tablet redeeming it would take over from (`takes_over_from_another_phone`)."""
        return self._send(_wire.auth_code_preview(external_id, code_challenge))

    def preview_link(self, install_id: str, external_id: str | int) -> LinkPreview:
        """`POST /v2/users/{install_id}/link/preview` (scope `user.link`): what
        `link_install` would do, without linking."""
        return self._send(_wire.link_preview(install_id, external_id))

    def events_page(
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
        return self._send(
            _wire.events_page(
                user_id, limit=limit, cursor=cursor, types=types, since=since, until=until
            )
        )

    def iter_events(
        self,
        user_id: str,
        *,
        page_size: int = 100,
        types: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[IdentityEvent]:
        """The user's identity ledger, newest first, a page at a time as you iterate."""
        cursor: str | None = None
        while True:
            page = self.events_page(
                user_id, limit=page_size, cursor=cursor, types=types, since=since, until=until
            )
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def undo_event(self, user_id: str, event_id: str | int) -> Undo:
        """`POST /v2/users/{user_id}/events/{event_id}/undo` (scope `user.admin`): undo a
        restore or a link. Sent with an `Idempotency-Key`, so a retry after a lost answer gets
        the first undo back (`replayed=True`) rather than `EVENT_ALREADY_UNDONE`."""
        return self._send(_wire.undo_event(user_id, event_id))

    def held_payloads_page(
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
        return self._send(
            _wire.held_payloads_page(
                user_id,
                limit=limit,
                cursor=cursor,
                install_id=install_id,
                since=since,
                until=until,
            )
        )

    def iter_held_payloads(
        self,
        user_id: str,
        *,
        page_size: int = 100,
        install_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[HeldPayload]:
        """The user's held payloads in timeline order, a page at a time as you iterate."""
        cursor: str | None = None
        while True:
            page = self.held_payloads_page(
                user_id,
                limit=page_size,
                cursor=cursor,
                install_id=install_id,
                since=since,
                until=until,
            )
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def merge_held_payloads(
        self,
        user_id: str,
        *,
        install_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """`POST /v2/users/{user_id}/held-payloads/merge` (scope `user.link`): the held payloads
        chosen join the timeline in their place; returns how many."""
        return self._send(
            _wire.merge_held_payloads(user_id, install_id=install_id, since=since, until=until)
        )

    def migration_report(self, *, window_days: int = 30) -> MigrationReport:
        """`GET /v2/reports/migration` (scope `user.read`): how far the app's users moved from
        the legacy flow to codes."""
        return self._send(_wire.migration_report(window_days))

    def create_webhook(
        self,
        url: str,
        *,
        event_types: Sequence[str] | None = None,
        description: str = "",
        enabled: bool = True,
    ) -> WebhookEndpoint:
        """`POST /v2/webhooks` (scope `webhooks.manage`): the endpoint, with its `secret` shown
        this once. `event_types` None: every type. Not resent after a lost answer."""
        return self._send(
            _wire.create_webhook(
                url, event_types=event_types, description=description, enabled=enabled
            )
        )

    def list_webhooks(self) -> tuple[WebhookEndpoint, ...]:
        """`GET /v2/webhooks` (scope `webhooks.manage`), without secrets."""
        return self._send(_wire.list_webhooks())

    def get_webhook(self, endpoint_id: str) -> WebhookEndpoint:
        """`GET /v2/webhooks/{endpoint_id}` (scope `webhooks.manage`)."""
        return self._send(_wire.get_webhook(endpoint_id))

    def update_webhook(
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
        return self._send(
            _wire.update_webhook(
                endpoint_id,
                url=url,
                event_types=event_types,
                description=description,
                enabled=enabled,
            )
        )

    def delete_webhook(self, endpoint_id: str) -> None:
        """`DELETE /v2/webhooks/{endpoint_id}` (scope `webhooks.manage`), its messages too."""
        self._send(_wire.delete_webhook(endpoint_id))

    def rotate_webhook_secret(
        self, endpoint_id: str, *, overlap_hours: int = 24
    ) -> WebhookEndpoint:
        """`POST /v2/webhooks/{endpoint_id}/rotate-secret` (scope `webhooks.manage`): the new
        `secret`, shown once; the previous one signs too for `overlap_hours`."""
        return self._send(_wire.rotate_webhook_secret(endpoint_id, overlap_hours=overlap_hours))

    def webhook_messages_page(
        self,
        endpoint_id: str,
        *,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> WebhookMessagePage:
        """One page of `GET /v2/webhooks/{endpoint_id}/messages` (scope `webhooks.manage`),
        newest first; `status`: pending, delivered or dead; `before`: a page's `next_before`."""
        return self._send(
            _wire.webhook_messages_page(endpoint_id, status=status, before=before, limit=limit)
        )

    def iter_webhook_messages(
        self, endpoint_id: str, *, status: str | None = None, page_size: int = 50
    ) -> Iterator[WebhookMessage]:
        """The endpoint's messages, newest first, a page at a time as you iterate."""
        before: int | None = None
        while True:
            page = self.webhook_messages_page(
                endpoint_id, status=status, before=before, limit=page_size
            )
            yield from page.messages
            if page.next_before is None:
                return
            before = page.next_before

    def redeliver_webhook_message(self, endpoint_id: str, message_id: str) -> WebhookMessage:
        """`POST /v2/webhooks/{endpoint_id}/messages/{message_id}/redeliver` (scope
        `webhooks.manage`): a delivered message or a dead letter sent again."""
        return self._send(_wire.redeliver_webhook_message(endpoint_id, message_id))

    def send_test_webhook(self, endpoint_id: str) -> WebhookMessage:
        """`POST /v2/webhooks/{endpoint_id}/test` (scope `webhooks.manage`): queues a
        `webhook.test` message to the endpoint."""
        return self._send(_wire.send_test_webhook(endpoint_id))

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the shell ---------------------------------------------------------------------------

    def _send(self, call: _wire.Call[T]) -> T:
        headers = _wire.headers_for(call, self._options.api_key)
        attempts = _wire.Attempts()
        retrying = Retrying(
            sleep=self._sleep,
            **policy(
                call,
                max_retries=self._options.max_retries,
                max_retry_wait=self._options.max_retry_wait,
            ),
        )
        result: T = retrying(self._attempt, call, headers, attempts)
        return result

    def _attempt(self, call: _wire.Call[T], headers: dict[str, str], attempts: _wire.Attempts) -> T:
        try:
            response = self._http.request(
                call.method, call.path, json=call.json, params=call.params, headers=headers
            )
        except httpx.TransportError as exc:
            attempts.lost_answer = True
            raise _wire.connection_error(exc) from exc
        return _wire.finish(call, response, attempts)
