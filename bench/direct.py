"""Rows measured straight on the database from the bench process, no HTTP: the ceiling a route's
own statements could reach on the same database, same run.

Same rules as `load.py`: a warm-up whose operations are counted nowhere, then a fixed duration
(or a fixed number of operations); the rate is the operations finished within the measured window
over its length; latency is taken around each operation started after the warm-up. An operation
is one call of `operation(connection, n)`, which the caller makes one transaction. Each thread
holds one connection of its own for the whole row (no pool checkout, no pre-ping per operation).
CPU: the `load` column is this (bench) process, every thread of it; the server is idle.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from bench.cpu import CpuMeter
from bench.load import DIRECT, LoadOptions, Measurement, Plan, percentile

Operation = Callable[[Connection, int], None]


def measure_direct(
    engine: Engine,
    label: str,
    operation: Operation,
    options: LoadOptions,
    *,
    threads: int = 1,
    note: str = "",
    progress: str | None = None,
) -> Measurement:
    if progress:
        print(f"  {progress}: {label} ...", flush=True)
    sequence = itertools.count()  # next() is atomic under the GIL
    lock = threading.Lock()
    latencies: list[float] = []
    unexpected: Counter[str] = Counter()
    state = {"window": 0, "warmup": 0, "started": 0, "last": 0.0}
    start = time.perf_counter()
    measured_from = start + options.warmup
    until = math.inf if options.requests else measured_from + options.duration
    meter = CpuMeter(None)
    snapshots = {}

    def keep_going(now: float) -> bool:
        if now >= until:
            return False
        if options.requests and now >= measured_from:
            with lock:
                if state["started"] >= options.requests:
                    return False
                state["started"] += 1
        return True

    def worker() -> None:
        with engine.connect() as connection:
            while keep_going(time.perf_counter()):
                n = next(sequence)
                began = time.perf_counter()
                outcome = None
                try:
                    operation(connection, n)
                except Exception as error:  # counted, like an unexpected status
                    outcome = type(error).__name__
                    if connection.in_transaction():
                        connection.rollback()
                done = time.perf_counter()
                with lock:
                    if measured_from <= done <= until:
                        state["window"] += 1
                    if began < measured_from:
                        state["warmup"] += 1
                        continue
                    latencies.append((done - began) * 1000)
                    state["last"] = max(state["last"], done)
                    if outcome is not None:
                        unexpected[outcome] += 1

    def snapshot_at(moment: float, name: str) -> None:
        time.sleep(max(0.0, moment - time.perf_counter()))
        snapshots[name] = meter.snapshot()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    snapshot_at(measured_from, "start")
    timer = None
    if math.isfinite(until):
        timer = threading.Thread(target=snapshot_at, args=(until, "end"), daemon=True)
        timer.start()
    for thread in workers:
        thread.join()
    if timer is not None:
        timer.join()
        rate = state["window"] / options.duration
    else:
        snapshots["end"] = meter.snapshot()
        elapsed = state["last"] - measured_from
        rate = len(latencies) / elapsed if elapsed > 0 else 0.0
    ordered = sorted(latencies)
    return Measurement(
        plan=Plan(label, path="-", method=DIRECT, note=note),
        requests=len(ordered),
        rate=rate,
        warmup_requests=state["warmup"],
        latencies_ms={
            "p50": percentile(ordered, 50),
            "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99),
            "max": ordered[-1] if ordered else math.nan,
            "mean": sum(ordered) / len(ordered) if ordered else math.nan,
        },
        unexpected=dict(unexpected),
        cpu=CpuMeter.between(snapshots["start"], snapshots["end"]),
    )
