"""The shared load generator: a separate process (spawned once per run), asyncio, one httpx client
with one keep-alive connection per simulated caller.

A measurement is a warm-up (seconds; its requests are counted nowhere), then either a fixed
duration or a fixed number of requests. Latency is taken around each request, response read, for
every request started after the warm-up. The rate is the answers received within the measured
window over its duration; with a fixed number of requests (or bodies that ran out), those
requests over the time from the end of the warm-up to the last answer. CPU is read at the same
two moments.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import httpx

from bench.cpu import CpuMeter, CpuSnapshot, CpuUse

JSON = (("content-type", "application/json"),)
DIRECT = "DIRECT"  # the method of a row measured on the database, no HTTP (bench/direct.py)


@dataclass(frozen=True)
class Plan:
    """What every request of one measurement sends."""

    label: str  # the row's name, e.g. "POST /users/auth-code"
    path: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = JSON
    # Either a template whose "{n}" becomes a sequence number unique within the measurement...
    body_template: str | None = None
    # ...or bodies each sent once, in order; the measurement ends early when they run out.
    bodies: tuple[bytes, ...] | None = None
    # Paths that request n takes in turn (paths[n % len]) instead of `path`: a cursor per page.
    paths: tuple[str, ...] | None = None
    # Headers of connection i on top of `headers` (connection_headers[i % len]): a credential per
    # simulated device, so concurrent callers do not share one user's row locks.
    connection_headers: tuple[tuple[tuple[str, str], ...], ...] | None = None
    expected_status: int = 200
    note: str = ""


@dataclass(frozen=True)
class LoadOptions:
    concurrency: int = 32
    warmup: float = 2.0
    duration: float = 6.0
    requests: int | None = None  # a fixed number of measured requests instead of a duration

    def describe(self) -> str:
        length = f"{self.requests} requests" if self.requests else f"{self.duration:g} s"
        return f"concurrency {self.concurrency}, {self.warmup:g} s warm-up then {length}"


@dataclass(frozen=True)
class Measurement:
    plan: Plan
    requests: int  # started after the warm-up; their latencies are the percentiles
    rate: float  # answers per second, see the module's docstring
    warmup_requests: int
    latencies_ms: dict[str, float]  # p50, p90, p99, max, mean
    unexpected: dict[str, int]  # status code (or exception name) -> count
    cpu: CpuUse
    exhausted: bool = False  # the pre-made bodies ran out before the end

    @property
    def p50(self) -> float:
        return self.latencies_ms["p50"]

    @property
    def p99(self) -> float:
        return self.latencies_ms["p99"]

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values())


class LoadProcess:
    """The process the load comes from, so it never shares the bench's (or the server's) GIL.
    Spawned once and reused: starting one costs a second or more of imports."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        self._pool.submit(time.perf_counter).result()  # started and ready

    def measure(
        self, url: str, plan: Plan, options: LoadOptions, server_pid: int | None
    ) -> Measurement:
        return self._pool.submit(_measure_here, url, plan, options, server_pid).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> LoadProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _measure_here(
    url: str, plan: Plan, options: LoadOptions, server_pid: int | None
) -> Measurement:
    return asyncio.run(_Run(url, plan, options, CpuMeter(server_pid)).run())


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class _Run:
    def __init__(self, url: str, plan: Plan, options: LoadOptions, meter: CpuMeter) -> None:
        self.url = url
        self.plan = plan
        self.options = options
        self.meter = meter
        self.sequence = 0
        self.measured_started = 0
        self.warmup_requests = 0
        self.exhausted = False
        self.latencies: list[float] = []
        self.unexpected: Counter[str] = Counter()
        self.last_answer = 0.0
        self.window_answers = 0

    def headers(self, connection: int) -> dict[str, str]:
        headers = dict(self.plan.headers)
        if self.plan.connection_headers:
            chosen = self.plan.connection_headers[connection % len(self.plan.connection_headers)]
            headers.update(chosen)
        return headers

    def next_request(self) -> tuple[str, bytes] | None:
        """The path and body of the next request, or None when the pre-made bodies ran out."""
        n = self.sequence
        self.sequence += 1
        path = self.plan.paths[n % len(self.plan.paths)] if self.plan.paths else self.plan.path
        if self.plan.bodies is not None:
            if n >= len(self.plan.bodies):
                self.exhausted = True
                return None
            return path, self.plan.bodies[n]
        if self.plan.body_template is not None:
            return path, self.plan.body_template.replace("{n}", str(n)).encode()
        return path, b""

    async def run(self) -> Measurement:
        start = time.perf_counter()
        self.measured_from = start + self.options.warmup
        self.until = (
            math.inf if self.options.requests else self.measured_from + self.options.duration
        )
        workers = [asyncio.create_task(self.worker(i)) for i in range(self.options.concurrency)]
        await asyncio.sleep(max(0.0, self.measured_from - time.perf_counter()))
        cpu_start = self.meter.snapshot()
        timed = math.isfinite(self.until)
        at_end = asyncio.create_task(self.snapshot_at(self.until)) if timed else None
        await asyncio.gather(*workers)
        if at_end is not None and not self.exhausted:
            cpu_end = await at_end
            rate = self.window_answers / self.options.duration
        else:
            if at_end is not None:
                at_end.cancel()
            cpu_end = self.meter.snapshot()
            elapsed = self.last_answer - self.measured_from
            rate = len(self.latencies) / elapsed if elapsed > 0 else 0.0
        ordered = sorted(self.latencies)
        return Measurement(
            plan=self.plan,
            requests=len(ordered),
            rate=rate,
            warmup_requests=self.warmup_requests,
            latencies_ms={
                "p50": percentile(ordered, 50),
                "p90": percentile(ordered, 90),
                "p99": percentile(ordered, 99),
                "max": ordered[-1] if ordered else math.nan,
                "mean": sum(ordered) / len(ordered) if ordered else math.nan,
            },
            unexpected=dict(self.unexpected),
            cpu=CpuMeter.between(cpu_start, cpu_end),
            exhausted=self.exhausted,
        )

    async def snapshot_at(self, moment: float) -> CpuSnapshot:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        return self.meter.snapshot()

    def keep_going(self, now: float) -> bool:
        if now >= self.until:
            return False
        if self.options.requests and now >= self.measured_from:
            if self.measured_started >= self.options.requests:
                return False
            self.measured_started += 1
        return True

    async def worker(self, connection: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        headers = self.headers(connection)
        async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=60) as client:
            while self.keep_going(time.perf_counter()):
                request = self.next_request()
                if request is None:
                    return
                path, body = request
                started = time.perf_counter()
                try:
                    response = await client.request(
                        self.plan.method, path, content=body, headers=headers
                    )
                    outcome = response.status_code
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                answered = time.perf_counter()
                if self.measured_from <= answered <= self.until:
                    self.window_answers += 1
                if started < self.measured_from:
                    self.warmup_requests += 1
                    continue
                self.latencies.append((answered - started) * 1000)
                self.last_answer = max(self.last_answer, answered)
                if outcome != self.plan.expected_status:
                    self.unexpected[str(outcome)] += 1
