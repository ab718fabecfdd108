"""The payload-upload ceiling: batches inserted straight through the driver by the bench process
(`bench.fixtures.DirectBatchWriter`), for as long as a saturation run, while the servers idle."""

from __future__ import annotations

import itertools
import time

from bench.fixtures import DirectBatchWriter
from bench.wrk import WrkResult

_batches = itertools.count()  # batch numbers, unique over the run (they make the payload ids)


def warm(writer: DirectBatchWriter, seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        writer.write(next(_batches))


def measure(writer: DirectBatchWriter, seconds: float) -> WrkResult:
    """Batches per second and their latencies, as a `WrkResult` (a request is one batch)."""
    latencies: list[float] = []
    began = time.perf_counter()
    until = began + seconds
    now = began
    while now < until:
        writer.write(next(_batches))
        done = time.perf_counter()
        latencies.append((done - now) * 1000)
        now = done
    ordered = sorted(latencies)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    return WrkResult(
        requests=len(ordered),
        sent=len(ordered),
        duration_s=now - began,
        p50_ms=at(0.5),
        p90_ms=at(0.9),
        p99_ms=at(0.99),
        max_ms=ordered[-1] if ordered else 0.0,
    )
