"""SQLite's runner: the units of work that arrive together run in one transaction.

SQLite lets one transaction write at a time, so a process runs its units of work one after the
other anyway. Handing each to a worker thread and committing each on its own makes the thread
hand-over and the commit the cost of every request. Here one dedicated thread owns the process's
connection: it takes every unit of work waiting (up to `MAX_GROUP`), runs each in a savepoint of
one transaction, commits once, and only then answers them all. A unit of work that fails rolls
back to its savepoint (unless its error keeps its record), leaving the others' work to commit;
if the commit itself fails, every request of the group fails. Answers never go out before their
data is committed."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection

from userlink.http.transactions import RateLimit, execute
from userlink.runtime import Runtime
from userlink.unit_of_work import UnitOfWork

T = TypeVar("T")

# Enough to empty the queue under a full benchmark load (64 connections) in one or two groups,
# few enough that a group's latency stays a few milliseconds.
MAX_GROUP = 64


@dataclass
class _Job:
    request_ref: str
    use_case: Callable[[UnitOfWork], Any]
    limits: Sequence[RateLimit]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] = (False, None)


class GroupedWritesRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def run(
        self,
        request_ref: str,
        use_case: Callable[[UnitOfWork], T],
        limits: Sequence[RateLimit] = (),
    ) -> T:
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put(_Job(request_ref, use_case, limits, loop, future))
        return cast(T, await future)

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="userlink-grouped-writes", daemon=True
                    )
                    self._thread.start()

    def _work(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)  # stop after this group
                    break
                group.append(job)
            self._run_group(group)

    def _run_group(self, group: list[_Job]) -> None:
        if len(group) == 1:
            # Alone: its own transaction, no savepoint to pay for.
            group[0].outcome = self._run_alone(group[0])
            self._answer(group)
            return
        try:
            with self.runtime.database.transaction() as connection:
                for job in group:
                    job.outcome = self._run_one(connection, job)
        except BaseException as error:  # the commit failed: nothing of the group is stored
            for job in group:
                job.outcome = (False, error)
        self._answer(group)

    def _answer(self, group: list[_Job]) -> None:
        for job in group:
            # A closed event loop (shutting down) has nobody waiting for the answer.
            with contextlib.suppress(RuntimeError):
                job.loop.call_soon_threadsafe(_settle, job.future, job.outcome)

    def _run_alone(self, job: _Job) -> tuple[bool, Any]:
        return self._run_in(job, lambda: self.runtime.unit_of_work(job.request_ref))

    def _run_one(self, connection: Connection, job: _Job) -> tuple[bool, Any]:
        return self._run_in(
            job, lambda: self.runtime.unit_of_work_within(connection, job.request_ref)
        )

    def _run_in(
        self, job: _Job, unit_of_work: Callable[[], AbstractContextManager[UnitOfWork]]
    ) -> tuple[bool, Any]:
        try:
            return True, execute(self.runtime.rate_limiter, job.limits, unit_of_work, job.use_case)
        except Exception as error:  # a refusal, or a 500 from the envelope, like any request
            return False, error


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():
        return
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)
