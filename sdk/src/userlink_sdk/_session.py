"""The install's session with the platform: a valid access token for every call (refreshed, and
the rotated credentials saved, when needed), and the retry windows around each request."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from ._api import ApiError, NetworkError, SdkApi
from ._device import Device
from ._effects import Sleep, Steps

__all__ = ["MAX_BACKOFF", "REFRESH_MARGIN", "RETRY_AFTER_WAITS", "Session"]

logger = logging.getLogger("userlink_sdk")

T = TypeVar("T")

#: A token is refreshed when it expires within this margin.
REFRESH_MARGIN = timedelta(seconds=60)
MAX_BACKOFF = 30.0
#: Retry-After waits in one public call; stops a server that keeps answering `Retry-After: 0`.
RETRY_AFTER_WAITS = 10


class Session:
    def __init__(
        self,
        api: SdkApi,
        device: Device,
        *,
        clock: Callable[[], datetime],
        retry_after_budget: float | None,
    ) -> None:
        self._api = api
        self._device = device
        self._clock = clock
        self._budget = retry_after_budget
        # Per public call; those that reach the network run one at a time (the facade's I/O
        # lock), so plain attributes suffice.
        self._wait_left = retry_after_budget
        self._waits_left = RETRY_AFTER_WAITS

    def start_call(self) -> None:
        """A public call begins: it may wait up to the budget in all for Retry-After."""
        self._wait_left = self._budget
        self._waits_left = RETRY_AFTER_WAITS

    def retrying(
        self, call: Callable[[], Steps[T]], *, attempts: int = 1, backoff: float = 0.0
    ) -> Steps[T]:
        """`call()`, repeated after the wait a 429 or 503 names in `Retry-After` while the call's
        budget lasts, and on other transient failures (network, 429, 5xx) up to `attempts` times
        with exponential backoff. A pin mismatch or an untrusted certificate is never retried."""
        failures = 0
        while True:
            try:
                return (yield from call())
            except NetworkError as exc:
                failures += 1
                if not exc.retryable or failures >= attempts:
                    raise
                logger.info("userlink: network failure (%s), retrying", exc.details)
                delay = min(backoff * 2 ** (failures - 1), MAX_BACKOFF)
            except ApiError as exc:
                if exc.retry_after is not None:
                    # The server named the time: sooner would be refused again, and a wait past
                    # the caller's budget is not ours to take, so no backoff retries either way.
                    if not self._take_wait(exc.retry_after):
                        raise
                    logger.info("userlink: %s; waiting as asked", exc.details)
                    delay = exc.retry_after
                else:
                    failures += 1
                    if not exc.is_transient or failures >= attempts:
                        raise
                    logger.info("userlink: transient server failure (%s), retrying", exc.details)
                    delay = min(backoff * 2 ** (failures - 1), MAX_BACKOFF)
            yield Sleep(delay)

    def _take_wait(self, seconds: float) -> bool:
        if self._waits_left <= 0 or (self._wait_left is not None and seconds > self._wait_left):
            return False
        self._waits_left -= 1
        if self._wait_left is not None:
            self._wait_left -= seconds
        return True

    def access_token(self, base: str, *, force_refresh: bool = False) -> Steps[str]:
        """A valid access token, refreshed (and the rotated credentials saved) when needed."""
        state = self._device.current()
        expires_at = state.access_token_expires_at
        if (
            not force_refresh
            and state.access_token is not None
            and expires_at is not None
            and expires_at - self._clock() > REFRESH_MARGIN
        ):
            return state.access_token
        refresh_token = state.refresh_token
        if refresh_token is None:
            raise ApiError(401, "REFRESH_TOKEN_INVALID", "no refresh token on this device")
        credentials = yield from self.retrying(lambda: self._api.refresh(base, refresh_token))
        self._device.commit(
            dataclasses.replace(
                self._device.current(),
                access_token=credentials.access_token,
                access_token_expires_at=credentials.access_token_expires_at,
                refresh_token=credentials.refresh_token,
                refresh_token_expires_at=credentials.refresh_token_expires_at,
            ),
            keep_on_write_failure=True,
        )
        return credentials.access_token

    def authorized(self, base: str, call: Callable[[str], Steps[T]]) -> Steps[T]:
        """`call(access_token)`; on 401 ACCESS_TOKEN_EXPIRED refresh and try once more."""
        try:
            token = yield from self.access_token(base)
            return (yield from self.retrying(lambda: call(token)))
        except ApiError as exc:
            if exc.status != 401 or exc.error_code != "ACCESS_TOKEN_EXPIRED":
                raise
        fresh = yield from self.access_token(base, force_refresh=True)
        return (yield from self.retrying(lambda: call(fresh)))
