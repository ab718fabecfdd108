"""The figures of a run: rows, ratios, targets, and the tables on stdout and in bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench import ROOT
from bench.scenarios import BATCH, DIRECT, GROWTH_ROWS, TIMELINE_TARGET_MS, Scenario
from bench.wrk import WrkResult, wrk_version

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
GROWTH_LIMIT = 1.2
PASS, FAIL, INVALID = "PASS", "FAIL", "INVALID"
NONE = "\u2013"  # an en dash: does not apply


@dataclass
class Row:
    scenario: Scenario
    runs: list[WrkResult] = field(default_factory=list)  # saturation, one per round
    server_cpu: float = 0.0  # seconds over the saturation runs (the bench process for `direct`)
    db_cpu: float = 0.0  # PostgreSQL's processes, same runs
    half: WrkResult | None = None  # at half the saturated rate
    other_failures: int = 0  # in warm-ups and runs measured again
    statements: float | None = None
    stored: tuple[int, int] | None = None  # growth rows: users and codes stored at the start
    others: list[float] = field(default_factory=list)  # cores other processes used, per run

    def add(self, result: WrkResult, *, server: float, database: float, other: float) -> None:
        """A saturation run, and the CPU seconds the server and the database used in it."""
        self.runs.append(result)
        self.server_cpu += server
        self.db_cpu += database
        self.others.append(other)

    @property
    def other_cores(self) -> float | None:
        return max(self.others) if self.others else None

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def rate(self) -> float:
        rates = [run.rate for run in self.runs]
        return sum(rates) / len(rates) if rates else 0.0

    @property
    def spread(self) -> float | None:
        """Half the gap between the rounds' rates, over their mean."""
        rates = [run.rate for run in self.runs]
        if len(rates) < 2 or not self.rate:
            return None
        return (max(rates) - min(rates)) / 2 / self.rate

    @property
    def latency(self) -> WrkResult | None:
        if self.half is not None:
            return self.half
        return self.runs[-1] if self.scenario.server == DIRECT and self.runs else None

    @property
    def cpu_ms(self) -> float | None:
        return self.server_cpu * 1000 / self.requests if self.requests else None

    @property
    def db_ms(self) -> float | None:
        return self.db_cpu * 1000 / self.requests if self.requests else None

    @property
    def cost_ms(self) -> float | None:
        """CPU of the server and the database per request: what growth is judged on."""
        if self.cpu_ms is None:
            return None
        return self.cpu_ms + (self.db_ms or 0.0)

    @property
    def failures(self) -> int:
        half = self.half.failures if self.half else 0
        return sum(run.failures for run in self.runs) + half + self.other_failures

    @property
    def exhausted(self) -> bool:
        return any(run.exhausted for run in self.runs) or bool(self.half and self.half.exhausted)

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.failures == 0 and not self.exhausted


@dataclass
class BackendResult:
    backend: str
    title: str  # "SQLite, 1 process"
    database: str
    rows: list[Row]
    growth: list[Row]
    notes: list[str]
    seconds: float


def ratio(row: Row, rows: dict[str, Row]) -> tuple[float | None, str]:
    """The row's figure against its reference, and what it was divided by."""
    scenario = row.scenario
    if scenario.key == "timeline":
        latency = row.latency
        if latency is None:
            return None, ""
        return latency.p99_ms / TIMELINE_TARGET_MS, f"p99 ÷ {TIMELINE_TARGET_MS:g} ms"
    reference = rows.get(scenario.reference or "")
    if reference is None or not reference.rate:
        return None, ""
    name = "direct batch insert" if reference.scenario.server == DIRECT else reference.scenario.key
    return row.rate / reference.rate, f"÷ {name}"


def verdict(row: Row, rows: dict[str, Row]) -> str:
    target = row.scenario.target
    if target is None:
        return ""
    reference = rows.get(row.scenario.reference or "")
    if not row.valid or (reference is not None and not reference.valid):
        return INVALID
    value, _ = ratio(row, rows)
    ok = True
    if target.ratio_min is not None:
        ok = ok and value is not None and value >= target.ratio_min
    if target.p99_max_ms is not None:
        latency = row.latency
        ok = ok and latency is not None and latency.p99_ms <= target.p99_max_ms
    return PASS if ok else FAIL


def growth_verdicts(
    result: BackendResult,
) -> list[tuple[Row, Row, float | None, float | None, str]]:
    """(small, large, cost ratio, rate ratio, verdict) per growth scenario."""
    out = []
    for key in GROWTH_ROWS:
        pair = [row for row in result.growth if row.scenario.key == key]
        if len(pair) != 2:
            continue
        small, large = pair
        cost = large.cost_ms / small.cost_ms if small.cost_ms and large.cost_ms else None
        rate = small.rate / large.rate if large.rate else None
        if not (small.valid and large.valid):
            decided = INVALID
        elif (
            cost is not None and rate is not None and cost <= GROWTH_LIMIT and rate <= GROWTH_LIMIT
        ):
            decided = PASS
        else:
            decided = FAIL
        out.append((small, large, cost, rate, decided))
    return out


# --- formatting --------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _rate(row: Row) -> str:
    if row.scenario.key == "payloads" or row.scenario.server == DIRECT:
        return f"{row.rate:,.1f} ({row.rate * BATCH:,.0f} payloads/s)"
    return _num(row.rate)


def backend_table(result: BackendResult) -> str:
    by_key = {row.scenario.key: row for row in result.rows}
    lines = [
        "| row | req/s | ± | p50 ms | p99 ms | server CPU ms/req | db CPU ms/req | SQL/req "
        "| non-2xx | other load | ratio | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in result.rows:
        latency = row.latency
        value, against = ratio(row, by_key)
        target = row.scenario.target
        spread = row.spread
        flags = " (ran out of data)" if row.exhausted else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    row.scenario.label + flags,
                    _rate(row),
                    f"{spread:.0%}" if spread is not None else "",
                    _num(latency.p50_ms, 1) if latency else "n/a",
                    _num(latency.p99_ms, 1) if latency else "n/a",
                    _num(row.cpu_ms, 2),
                    _num(row.db_ms, 2) if result.backend == "postgresql" else NONE,
                    _num(row.statements, 1) if not row.scenario.is_reference else NONE,
                    f"{row.failures:,}",
                    _num(row.other_cores, 1),
                    f"{value:.2f} {against}" if value is not None else "",
                    target.describe() if target else "",
                    verdict(row, by_key),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def growth_table(results: list[BackendResult]) -> str:
    lines = [
        "| backend | row | users / codes stored | req/s | p50 ms (saturated) | p99 ms (saturated) "
        "| server CPU ms/req "
        "| db CPU ms/req | cost ÷ first | first req/s ÷ this | non-2xx | other load | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        for small, large, cost, rate, decided in growth_verdicts(result):
            for row, is_large in ((small, False), (large, True)):
                stored = row.stored or (0, 0)
                last = row.runs[-1] if row.runs else None
                lines.append(
                    "| "
                    + " | ".join(
                        [
                            result.backend,
                            row.scenario.label,
                            f"{stored[0]:,} / {stored[1]:,}",
                            _num(row.rate),
                            _num(last.p50_ms, 1) if last else "n/a",
                            _num(last.p99_ms, 1) if last else "n/a",
                            _num(row.cpu_ms, 2),
                            _num(row.db_ms, 2) if result.backend == "postgresql" else NONE,
                            _num(cost, 2) if is_large else "",
                            _num(rate, 2) if is_large else "",
                            f"{row.failures:,}",
                            _num(row.other_cores, 1),
                            decided if is_large else "",
                        ]
                    )
                    + " |"
                )
    return "\n".join(lines)


def summary(results: list[BackendResult]) -> tuple[int, int, int]:
    """(passed, failed, invalid) over every target."""
    counts = {PASS: 0, FAIL: 0, INVALID: 0}
    for result in results:
        by_key = {row.scenario.key: row for row in result.rows}
        for row in result.rows:
            decided = verdict(row, by_key)
            if decided:
                counts[decided] += 1
        for *_, decided in growth_verdicts(result):
            counts[decided] += 1
    return counts[PASS], counts[FAIL], counts[INVALID]


# --- the run's circumstances -------------------------------------------------------------------


def machine() -> str:
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}){memory}, "
        f"{platform.system()} {platform.release()}"
    )


def code_version() -> str:
    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.rstrip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "server", "bench")
    return f"commit {commit}" + (" plus uncommitted changes" if changed else "")


def stack(postgres_version: str | None) -> str:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    packages = (
        "uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic", "SQLAlchemy",
        "psycopg", "psycopg-pool",
    )  # fmt: skip
    parts = [f"Python {platform.python_version()}"]
    parts += [f"{name} {version(name)}" for name in packages]
    parts.append(f"SQLite {sqlite3.sqlite_version}")
    if postgres_version:
        parts.append(postgres_version)
    parts.append(wrk_version())
    return ", ".join(parts)


@dataclass(frozen=True)
class RunInfo:
    started: datetime
    command: str
    load: str
    seconds: float
    postgres: str | None
    busy_before: float  # cores busy on the machine just before the run


NOTES = [
    "`userlink serve` runs as deployed (USERLINK_ENVIRONMENT=production, its own server "
    "settings) except that **rate limits are off** (USERLINK_RATE_LIMIT_ENABLED=false): all the "
    "load comes from one client address, which the limits would rightly refuse.",
    "req/s: completed requests over the run, the mean of the rounds (± half their gap); the "
    "reference apps were measured in the same rounds, just before the rows that divide by them "
    "(A/B/A/B). p50/p99: wrk's latencies at a fixed offered rate of half the saturated one "
    "(wrk's `delay()` paces each thread). CPU ms/req: utime+stime of the server's process tree "
    "(and of the PostgreSQL backends serving the bench database) over the saturation runs, per "
    "completed request. "
    "SQL/req: statements sent per request, counted in a separate in-process pass. non-2xx: "
    "answers that were not 2xx plus socket errors and timeouts, in every run of the row; a row "
    "with any is INVALID.",
    "other load: the most CPU, in cores, that processes outside the measurement used during a "
    "saturation run of the row (the machine's busy time less the server's, the database's, "
    "wrk's and the bench's): on a shared machine, a row with other load is pessimistic.",
    "Ratios: write routes and the lookup ÷ one-insert; GET /health ÷ hello; the payload upload "
    "÷ the direct batch insert (payloads/s); the timeline's p99 ÷ its 10 ms target.",
]


def markdown(results: list[BackendResult], info: RunInfo) -> str:
    passed, failed, invalid = summary(results)
    parts = [
        "# Benchmark results",
        "",
        f"Written by `make bench BENCH_ARGS=--record` on {info.started:%Y-%m-%d %H:%M} UTC; the "
        "next recorded run replaces this file. How to reproduce and what each figure means: "
        "[docs/performance.md](../docs/performance.md).",
        "",
        f"- Machine: {machine()}; {info.busy_before:.2f} cores busy just before the run",
        f"- Code: {code_version()}",
        f"- Stack: {stack(info.postgres)}",
        f"- Load: {info.load}",
        f"- Command: `{info.command}`, {info.seconds / 60:.1f} min in all",
        f"- Targets: {passed} PASS, {failed} FAIL, {invalid} INVALID",
        "",
    ]
    for result in results:
        parts += [
            f"## {result.title}",
            "",
            f"Database: {result.database}. Took {result.seconds / 60:.1f} min.",
            "",
            backend_table(result),
            "",
            *[f"- {note}" for note in result.notes],
            "",
        ]
    if any(result.growth for result in results):
        parts += [
            "## Cost growth",
            "",
            "POST /users/auth-code and POST /sdk/v1/users against two databases of the same "
            "backend, one with few users and codes stored and one with many, each with its own "
            "`userlink serve`, measured in turn (A/B/A/B), before the tables above. "
            f"Target: per request, the server's and the database's CPU and the inverse of req/s "
            f"at most {GROWTH_LIMIT:g} times the first figures.",
            "",
            growth_table(results),
            "",
        ]
    parts += ["## Notes", "", *[f"- {note}" for note in NOTES], ""]
    return "\n".join(parts)
