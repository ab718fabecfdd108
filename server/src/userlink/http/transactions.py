"""Running a use case for a request: one hop to a worker thread, which checks the request's rate
limits, opens the unit of work, runs the use case and commits, all before the endpoint answers.

Everything else a request does (parsing, credentials' shape, serialisation) stays on the event
loop. One hop per request, rather than one per dependency, is most of what makes the hot routes
cheap (docs/performance.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request

from userlink import errors
from userlink.http.envelope import request_ref
from userlink.runtime import Runtime
from userlink.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class Limit:
    """One hit on a rate limit (the `limits` library's notation) for one bucket and identity."""

    rule: str
    bucket: str
    identity: str


class UseCaseRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._slots: anyio.Semaphore | None = None

    def _unit_of_work_slots(self) -> anyio.Semaphore:
        """How many requests may hold a unit of work at once: no more than the pool has
        connections, and fewer than the worker threads, so a request waiting for a connection
        waits on the event loop, holding no thread, and a burst larger than the pool queues
        instead of timing out in the pool."""
        if self._slots is None:
            threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
            capacity = self.runtime.database.max_concurrent_transactions
            self._slots = anyio.Semaphore(max(1, min(capacity, threads - 1)))
        return self._slots

    async def run(
        self,
        request_ref: str,
        use_case: Callable[[UnitOfWork], T],
        limits: Sequence[Limit] = (),
    ) -> T:
        async with self._unit_of_work_slots():
            return await anyio.to_thread.run_sync(self._run, request_ref, use_case, limits)

    def _run(
        self, request_ref: str, use_case: Callable[[UnitOfWork], T], limits: Sequence[Limit]
    ) -> T:
        for limit in limits:
            # In the worker thread: with Redis as the storage, a hit is a network round trip.
            retry_after = self.runtime.rate_limiter.hit(limit.rule, limit.bucket, limit.identity)
            if retry_after is not None:
                raise errors.RateLimited(retry_after=retry_after)
        with self.runtime.unit_of_work(request_ref) as work:
            return use_case(work)


def runtime_of(request: Request) -> Runtime:
    runner: UseCaseRunner = request.app.state.runner
    return runner.runtime


async def run(request: Request, use_case: Callable[[UnitOfWork], T], *limits: Limit) -> T:
    """The one way an endpoint reaches the database."""
    runner: UseCaseRunner = request.app.state.runner
    return await runner.run(request_ref(request), use_case, limits)
