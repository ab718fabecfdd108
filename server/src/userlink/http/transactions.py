"""Running a use case for a request: one hop to a worker thread, which checks the request's rate
limits, opens the unit of work, runs the use case and commits, all before the endpoint answers.

Everything else a request does (parsing, credentials' shape, serialisation) stays on the event
loop. One hop per request, rather than one per dependency, is most of what makes the hot routes
cheap (docs/performance.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from fastapi import Request

from userlink import errors
from userlink.http.envelope import request_ref
from userlink.kit.ratelimit import RateLimiter
from userlink.runtime import Runtime
from userlink.unit_of_work import UnitOfWork

T = TypeVar("T")


class RateLimit(Protocol):
    """A rate limit a request passes through, in the `limits` library's notation (`30/minute`),
    on one bucket and identity (a client address: never a secret, nor part of one)."""

    @property
    def bucket(self) -> str:
        """The bucket's name, as refusals are counted in the metrics."""

    def admit(self, limiter: RateLimiter) -> int | None:
        """Before the unit of work: None to go on, else the seconds the client must wait."""

    def record(self, limiter: RateLimiter, error: errors.UserlinkError) -> None:
        """After the use case refused the request with `error`."""


@dataclass(frozen=True)
class Limit:
    """Every request counts: one hit each, refused once the bucket is full."""

    rule: str
    bucket: str
    identity: str

    def admit(self, limiter: RateLimiter) -> int | None:
        return limiter.hit(self.rule, self.bucket, self.identity)

    def record(self, limiter: RateLimiter, error: errors.UserlinkError) -> None:
        return None


@dataclass(frozen=True)
class FailureLimit:
    """Only failures count: a request is refused while the bucket is full, and a refusal of one
    of the `counted` kinds fills it by one. A request that succeeds checks the bucket and never
    adds to it."""

    rule: str
    bucket: str
    identity: str
    counted: tuple[type[errors.UserlinkError], ...]

    def admit(self, limiter: RateLimiter) -> int | None:
        return limiter.over(self.rule, self.bucket, self.identity)

    def record(self, limiter: RateLimiter, error: errors.UserlinkError) -> None:
        if isinstance(error, self.counted):
            limiter.hit(self.rule, self.bucket, self.identity)


class UseCaseRunner:
    """Each use case in a worker thread of the runner's own pool, as many threads as the
    database pool has connections: a request waiting for a connection waits in the pool's queue,
    holding no thread and no connection, and a burst larger than the pool queues instead of timing
    out in it. The loop's own executor, not anyio's thread hand-over, whose bookkeeping per call
    (task and library look-ups, a capacity limiter, a cancel scope) was a tenth of a PostgreSQL
    redemption's CPU (docs/performance.md)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._threads: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(
                max_workers=max(1, self.runtime.database.max_concurrent_transactions),
                thread_name_prefix="userlink-use-cases",
            )
        return self._threads

    async def run(
        self,
        request_ref: str,
        use_case: Callable[[UnitOfWork], T],
        limits: Sequence[RateLimit] = (),
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), self._run, request_ref, use_case, limits)

    def stop(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None

    def _run(
        self, request_ref: str, use_case: Callable[[UnitOfWork], T], limits: Sequence[RateLimit]
    ) -> T:
        return execute(
            self.runtime.rate_limiter,
            limits,
            lambda: self.runtime.unit_of_work(request_ref),
            use_case,
        )


def execute(
    limiter: RateLimiter,
    limits: Sequence[RateLimit],
    unit_of_work: Callable[[], AbstractContextManager[UnitOfWork]],
    use_case: Callable[[UnitOfWork], T],
) -> T:
    """In the worker thread (with Redis as the storage, a limit check is a network round trip):
    refuse the request if any of its limits is full, run the use case in its unit of work, and
    let the limits that count refusals count one."""
    for limit in limits:
        retry_after = limit.admit(limiter)
        if retry_after is not None:
            raise errors.RateLimited(retry_after=retry_after, bucket=limit.bucket)
    try:
        with unit_of_work() as work:
            return use_case(work)
    except errors.UserlinkError as error:
        for limit in limits:
            limit.record(limiter, error)
        raise


class Runner(Protocol):
    runtime: Runtime

    async def run(
        self,
        request_ref: str,
        use_case: Callable[[UnitOfWork], T],
        limits: Sequence[RateLimit] = (),
    ) -> T: ...

    def stop(self) -> None:
        """At shutdown, once no request is in flight."""


def runtime_of(request: Request) -> Runtime:
    runner: Runner = request.app.state.runner
    return runner.runtime


async def run(request: Request, use_case: Callable[[UnitOfWork], T], *limits: RateLimit) -> T:
    """The one way an endpoint reaches the database."""
    runner: Runner = request.app.state.runner
    return await runner.run(request_ref(request), use_case, limits)
