"""`make bench` / `python -m bench.run`: wrk against `userlink serve` and reference apps on the
same stack, per backend (SQLite with 1 process, PostgreSQL with 2 workers).

    python -m bench.run                              # both backends, every scenario (~21 min)
    python -m bench.run --backend sqlite --scenario auth-code --scenario redemption
    python -m bench.run --smoke                      # every scenario ~1 s, small data (CI)
    python -m bench.run --record                     # and write bench/RESULTS.md

PostgreSQL: the server of USERLINK_BENCH_POSTGRES_URL, else USERLINK_TEST_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; the bench drops and recreates its own
database there (--postgres-database, default userlink_bench). docs/performance.md says more.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import direct, fixtures, report, scenarios, servers, sqlcount, wrk
from bench.fixtures import Database, DirectBatchWriter, Fixtures
from bench.report import BackendResult, Row
from bench.scenarios import (
    BATCH,
    BY_KEY,
    CHOICES,
    DIRECT,
    GROWTH,
    GROWTH_ROWS,
    HELLO,
    ONE_INSERT,
    PLATFORM,
    Data,
    Scenario,
    lines_needed,
)
from userlink.models import auth_codes, users

WORKERS = {"sqlite": 1, "postgresql": 2}
TITLES = {"sqlite": "SQLite, 1 process", "postgresql": "PostgreSQL, 2 workers"}
QUIET_CORES = 0.2  # busy cores on an idle machine, at most
DEFAULT_ESTIMATE = 2000.0  # req/s assumed for sizing data before anything was measured


@dataclass(frozen=True)
class Options:
    duration: int = 10
    warmup: int = 2
    connections: int = 64
    threads: int = 2
    rounds: int = 2
    half_duration: int = 10
    timeline_rows: int = 1_000_000
    cursors: int = 20_000
    growth: tuple[int, int] = (10_000, 1_000_000)
    lookup_users: int = 1_000
    uploaders: int = 256
    count_requests: int = 50
    smoke: bool = False

    def describe(self) -> str:
        warmup = f"{self.warmup} s warm-up, then " if self.warmup else ""
        return (
            f"wrk, {self.connections} connections, {self.threads} threads; per row and round "
            f"{warmup}{self.duration} s at saturation; {self.rounds} round(s), the reference "
            f"apps in each (A/B/A/B); p50/p99 over {self.half_duration} s at half the saturated "
            f"rate; timeline of {self.timeline_rows:,} payloads; cost growth at "
            f"{self.growth[0]:,} and {self.growth[1]:,} users and codes"
            + (" (smoke: figures not meaningful)" if self.smoke else "")
        )


SMOKE = Options(
    duration=1,
    warmup=0,
    connections=16,
    threads=2,
    rounds=1,
    half_duration=1,
    timeline_rows=2_000,
    cursors=200,
    growth=(200, 1_000),
    lookup_users=50,
    uploaders=16,
    count_requests=10,
    smoke=True,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=CHOICES,
        help="repeatable; default: all (the reference apps a scenario needs always run)",
    )
    parser.add_argument("--duration", type=int, help="seconds per saturation run (default 10)")
    parser.add_argument("--connections", type=int, help="wrk connections (default 64)")
    parser.add_argument("--rounds", type=int, help="A/B rounds (default 2)")
    parser.add_argument("--smoke", action="store_true", help="every scenario ~1 s, small data")
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="for --record")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be idle (a shared machine)",
    )
    parser.add_argument(
        "--postgres-database",
        default="userlink_bench",
        help="dropped and recreated on each run (default %(default)s)",
    )
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "rounds"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def options_from(args: argparse.Namespace) -> Options:
    base = SMOKE if args.smoke else Options()
    changes: dict[str, Any] = {}
    if args.duration:
        changes["duration"] = args.duration
        changes["half_duration"] = args.duration
    if args.connections:
        changes["connections"] = args.connections
    if args.rounds:
        changes["rounds"] = args.rounds
    return Options(**{**base.__dict__, **changes})


STARTED = time.monotonic()


def say(backend: str, message: str) -> None:
    print(f"{time.monotonic() - STARTED:6.1f} s [{backend}] {message}", flush=True)


class Runner:
    """The measurements of one backend, against servers that are already running."""

    def __init__(
        self,
        backend: str,
        options: Options,
        data: Data,
        running: servers.Servers,
        writer: DirectBatchWriter | None,
        database: str | None,  # PostgreSQL's database name, whose backends' CPU is counted
    ) -> None:
        self.backend = backend
        self.options = options
        self.data = data
        self.servers = running
        self.writer = writer
        self.database = database
        self.estimates: dict[str, float] = {}
        self.label = ""  # said after each row's name in the progress lines

    def estimate(self, scenario: Scenario) -> float:
        """What to size the data of a run for: this scenario's best rate so far, else the
        one-insert reference's (a platform write is not faster), else a guess."""
        known = self.estimates.get(scenario.key) or self.estimates.get(ONE_INSERT)
        return known or DEFAULT_ESTIMATE

    def load(
        self, scenario: Scenario, seconds: int, *, rate: float, expected: float
    ) -> tuple[wrk.WrkResult, servers.Usage]:
        """One wrk run with data for about `expected` req/s, and the CPU used during it."""
        server = self.servers[scenario.server]
        if not server.alive():
            raise RuntimeError(f"the {server.name} server has exited:\n{servers.tail(server.log)}")
        count = lines_needed(expected, seconds, self.options.connections)
        load = wrk.Load(
            scenario.script,
            server.url,
            duration=seconds,
            connections=self.options.connections,
            threads=self.options.threads,
            data=self.data.lines(scenario, count),
            cycle=scenario.cycle,
            rate=rate,
            environment=self.data.environment(scenario),
        )
        self.settle(server)
        with servers.Meter(server, self.database).measure() as usage:
            result = wrk.run(load)
        return result, usage[0]

    def settle(self, server: servers.Server, patience: float = 15.0) -> None:
        """Wait for the work of the previous run to drain: requests still queued when wrk
        stopped must not run (and burn CPU) inside the next measurement. Then write out what it
        left in the database's memory (`Fixtures.checkpoint`), so that a run never pays for the
        previous one's writes: after the payload upload's saturation run (about half a
        gigabyte of WAL on PostgreSQL), the timeline's reads had to write dirty buffers out to
        evict them, and its p99 read 13 ms against 6-9 on a settled database."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            cpu = server.cpu_seconds()
            time.sleep(0.1)
            if server.cpu_seconds() - cpu < 0.01:
                break
        self.data.fixtures.checkpoint()

    def saturate(self, row: Row) -> None:
        """A warm-up, then one saturation run (again, with twice the data, if it ran out)."""
        scenario = row.scenario
        if scenario.server == DIRECT:
            self._direct(row)
            return
        expected = self.estimate(scenario)
        if self.options.warmup:
            warm, _ = self.load(scenario, self.options.warmup, rate=0, expected=expected)
            row.other_failures += warm.failures
            expected = warm.rate if warm.rate and not warm.exhausted else expected * 2
        for attempt in range(2):
            result, usage = self.load(scenario, self.options.duration, rate=0, expected=expected)
            if not result.exhausted or attempt == 1:
                break
            say(self.backend, f"  {scenario.key} ran out of data at {result.rate:,.0f} req/s")
            row.other_failures += result.failures
            expected = max(expected, result.sent_rate) * 2
        row.add(result, server=usage.server, database=usage.database, other=usage.other_cores)
        self.estimates[scenario.key] = max(self.estimates.get(scenario.key, 0.0), result.rate)
        self._show(row, result, "saturated", usage)

    def half_rate(self, row: Row) -> None:
        scenario = row.scenario
        if scenario.server == DIRECT or not row.rate:
            return
        rate = row.rate / 2
        row.half, usage = self.load(scenario, self.options.half_duration, rate=rate, expected=rate)
        self._show(row, row.half, f"at {rate:,.0f} req/s offered", usage)

    def _direct(self, row: Row) -> None:
        assert self.writer is not None
        self.settle(self.servers[PLATFORM])
        direct.warm(self.writer, self.options.warmup)
        with servers.Meter(None, self.database).measure() as usage:
            result = direct.measure(self.writer, self.options.duration)
        # The bench process did the work: its CPU stands in the server's column.
        used = usage[0]
        row.add(result, server=used.load, database=used.database, other=used.other_cores)
        self._show(row, result, "saturated", used)

    def _show(
        self, row: Row, result: wrk.WrkResult, how: str, usage: servers.Usage | None = None
    ) -> None:
        items = ""
        if row.scenario.key in ("payloads", "direct-batch"):
            items = f" ({result.rate * BATCH:,.0f} payloads/s)"
        failures = f", {result.failures} FAILED" if result.failures else ""
        exhausted = ", RAN OUT OF DATA" if result.exhausted else ""
        other = ""
        if usage is not None and usage.other_cores >= 0.1:
            other = f"; {usage.other_cores:.1f} cores used by other processes"
        say(
            self.backend,
            f"  {row.scenario.key}{f' ({self.label})' if self.label else ''}: "
            f"{result.rate:,.0f} req/s{items}, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, {how}{failures}{exhausted}{other}",
        )
        if result.samples:
            say(self.backend, f"    not 2xx, e.g.: {result.samples.strip()[:400]}")


@dataclass
class Platform:
    """One database, `userlink migrate`d, with its `userlink serve` and the bench's hand on it."""

    database: Database
    hand: Fixtures
    server: servers.Server
    environment: dict[str, str]

    @classmethod
    def create(
        cls, backend: str, name: str, workers: int, workdir: Path, log: Callable[[str], None]
    ) -> Platform:
        database = fixtures.prepare_database(backend, workdir, name=name)
        log(f"{database.description} at {database.display_url}")
        secret = servers.new_secret_key()
        server, environment = servers.platform_server(
            database.url, secret, workers, workdir / f"{name}.log"
        )
        return cls(database, Fixtures(database, secret), server, environment)

    def migration(self, workdir: Path) -> tuple[dict[str, str], Path]:
        return self.environment, workdir / f"{self.database.name}-migrate.log"

    def close(self) -> None:
        self.server.stop()
        self.hand.close()


def run_backend(
    backend: str, options: Options, chosen: list[str], postgres_database: str
) -> BackendResult:
    """Everything for one backend, in this order: fresh databases and `userlink migrate`, the
    servers booting while the data is made, one checked request of each kind, the statement
    count, the growth rows (alternating a database with few users and one with many), then the
    rounds of the main table."""
    began = time.monotonic()
    growth = GROWTH in chosen
    main_rows = scenarios.rows_for([key for key in chosen if key != GROWTH])
    everything = scenarios.rows_for(chosen)
    platform_rows = [s for s in everything if s.server == PLATFORM]
    workers = WORKERS[backend]
    postgres = backend == "postgresql"

    def progress(message: str) -> None:
        say(backend, message)

    with tempfile.TemporaryDirectory(prefix=f"userlink-bench-{backend}-") as tmp:
        workdir = Path(tmp)
        main = Platform.create(backend, postgres_database, workers, workdir, progress)
        large = None
        if growth:  # a second database, for the growth rows with many users stored
            name = f"{postgres_database}_growth"
            large = Platform.create(backend, name, workers, workdir, progress)
        main.hand.create_reference_table()
        references = servers.Servers(
            [
                servers.reference_server(
                    name, workers, workdir, reference_environment(main.database)
                )
                for name in (HELLO, ONE_INSERT)
                if any(s.server == name for s in main_rows)
            ]
        )
        writer: DirectBatchWriter | None = None
        try:
            with references:  # they boot while the databases are migrated
                progress(f"starting userlink serve --workers {workers} (and the reference apps)")
                platforms = [p for p in (main, large) if p is not None]
                servers.migrate([p.migration(workdir) for p in platforms])
                for platform in platforms:
                    platform.server.start()
                data = scenarios.prepare_data(
                    main.hand,
                    main.hand.create_tenant("bench app"),
                    everything,
                    lookup_users=options.lookup_users,
                    uploaders=options.uploaders,
                    timeline_rows=options.timeline_rows,
                    cursors=options.cursors,
                    progress=progress,
                )
                if any(s.server == DIRECT for s in main_rows):
                    writer = DirectBatchWriter(main.hand, data.uploaders, data.tenant.app_id, BATCH)
                running = servers.Servers([main.server, *references.by_name.values()])
                runner = Runner(
                    backend,
                    options,
                    data,
                    running,
                    writer,
                    main.database.name if postgres else None,
                )
                large_runner = None
                if large is not None:
                    tenant = large.hand.create_tenant("bench app")
                    large_data = Data(large.hand, tenant, [], [], None, 0)
                    large_runner = Runner(
                        backend,
                        options,
                        large_data,
                        servers.Servers([large.server]),
                        None,
                        large.database.name if postgres else None,
                    )
                    seed(large_runner, options.growth[1], progress)
                    large.server.wait_ready()
                    scenarios.check(large.server.url, large_data, [BY_KEY[k] for k in GROWTH_ROWS])
                running.wait_ready()
                progress("servers ready; one checked request of each kind")
                scenarios.check(main.server.url, data, platform_rows)
                progress("statements per request (in-process pass):")
                statements = sqlcount.count_statements(
                    main.environment,
                    platform_rows,
                    data,
                    requests=options.count_requests,
                    progress=progress,
                )
                growth_rows: list[Row] = []
                if large_runner is not None:
                    seed(runner, options.growth[0], progress)
                    growth_rows = measure_growth(runner, large_runner, options.rounds, progress)
                rows = [Row(s, statements=statements.get(s.key)) for s in main_rows]
                for round_number in range(1, options.rounds + 1):
                    progress(f"round {round_number} of {options.rounds}")
                    for row in rows:
                        runner.saturate(row)
                        last = round_number == options.rounds
                        if last and not (options.smoke and row.scenario.is_reference):
                            runner.half_rate(row)
                for row in growth_rows:
                    row.statements = statements.get(row.scenario.key)
                notes = backend_notes(data, main.hand, rows, options)
                notes += [
                    f"The {server.name} server had exited by the end."
                    for server in [*running.by_name.values(), *([large.server] if large else [])]
                    if not server.alive()
                ]
        finally:
            if writer is not None:
                writer.close()
            main.close()
            if large is not None:
                large.close()
            for log in sorted(workdir.glob("*.log")):
                text = servers.tail(log, 15)
                if "Traceback" in text or "ERROR" in text:
                    progress(f"{log.name}:\n{text}")
    return BackendResult(
        backend=backend,
        title=TITLES[backend],
        database=main.database.description,
        rows=rows,
        growth=growth_rows,
        notes=notes,
        seconds=time.monotonic() - began,
    )


def backend_notes(data: Data, hand: Fixtures, rows: list[Row], options: Options) -> list[str]:
    notes = []
    if data.timeline is not None:
        notes.append(
            f"Timeline: {data.timeline.stream_rows:,} payloads stored for it "
            f"({data.timeline.rows:,} of the measured user, processed; one in ten of its "
            "inactive tablet, one in ten of 4 other users), loaded in "
            f"{data.timeline.build_seconds:.0f} s; {options.cursors:,} random cursors."
        )
    minted = ", ".join(f"{count:,} {key}" for key, count in data.minted.items())
    if minted:
        notes.append(f"Made for the consuming rows, each used once: {minted}.")
    stored = hand.stored()
    notes.append("Stored at the end: " + ", ".join(f"{n:,} {t}" for t, n in stored.items()) + ".")
    for row in rows:
        if row.half and row.half.rate < 0.9 * row.half.offered_rate:
            notes.append(
                f"{row.scenario.key}: the half-rate run reached {row.half.rate:,.0f} of "
                f"{row.half.offered_rate:,.0f} req/s offered."
            )
    return notes


def reference_environment(database: Database) -> dict[str, str]:
    smallest, largest = fixtures.pool_size()
    return {
        "BENCH_REFERENCE_DATABASE": database.reference_target,
        "BENCH_REFERENCE_POOL_MIN": str(smallest),
        "BENCH_REFERENCE_POOL_MAX": str(largest),
    }


def seed(runner: Runner, size: int, progress: Callable[[str], None]) -> None:
    users_now, codes_now, seconds = runner.data.fixtures.seed_growth(
        runner.data.tenant, size, progress
    )
    progress(f"{users_now:,} users and {codes_now:,} codes stored (seeded in {seconds:.0f} s)")


def measure_growth(
    few: Runner, many: Runner, rounds: int, progress: Callable[[str], None]
) -> list[Row]:
    """auth-code and redemption on the database with few users and codes stored, then on the one
    with many, in turn (A/B/A/B), `rounds` times. Rows: the few's, then the many's."""
    rows: dict[tuple[str, int], Row] = {}
    for round_number in range(1, rounds + 1):
        progress(f"cost growth, round {round_number} of {rounds}")
        for key in GROWTH_ROWS:
            for side, runner in enumerate((few, many)):
                if (key, side) not in rows:
                    hand = runner.data.fixtures
                    stored = (hand.count(users), hand.count(auth_codes))
                    rows[(key, side)] = Row(BY_KEY[key], stored=stored)
                row = rows[(key, side)]
                runner.label = "many stored" if side else "few stored"
                runner.saturate(row)
                runner.label = ""
    return [rows[(key, side)] for side in (0, 1) for key in GROWTH_ROWS]


def chosen_backends(choice: str) -> list[str]:
    wanted = ["sqlite", "postgresql"] if choice == "both" else [choice]
    if "postgresql" in wanted:
        problem = fixtures.postgres_reachable(fixtures.postgres_server_url())
        if problem is not None:
            sys.exit(
                f"PostgreSQL at {fixtures.postgres_server_url()} does not answer ({problem}). "
                "Set USERLINK_BENCH_POSTGRES_URL, or run with --backend sqlite."
            )
    return wanted


def as_json(results: list[BackendResult]) -> dict[str, Any]:
    def row(r: Row) -> dict[str, Any]:
        return {
            "key": r.scenario.key,
            "label": r.scenario.label,
            "requests": r.requests,
            "rate": r.rate,
            "non2xx": r.failures,
            "exhausted": r.exhausted,
            "p99_ms": r.latency.p99_ms if r.latency else None,
            "statements": r.statements,
            "stored": r.stored,
        }

    return {
        result.backend: {
            "rows": [row(r) for r in result.rows],
            "growth": [row(r) for r in result.growth],
        }
        for result in results
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    try:
        wrk.wrk_binary()
    except wrk.WrkMissing as missing:
        print(f"make bench: {missing}", file=sys.stderr)
        return 2
    options = options_from(args)
    chosen = list(dict.fromkeys(args.scenario or CHOICES))
    backends = chosen_backends(args.backend)
    busy = servers.machine_busy()
    deadline = time.monotonic() + args.wait_quiet
    while busy > QUIET_CORES and time.monotonic() < deadline:
        print(f"waiting for the machine to be idle: {busy:.2f} cores busy", flush=True)
        time.sleep(5)
        busy = servers.machine_busy()
    if busy > QUIET_CORES:
        print(
            f"warning: {busy:.2f} cores were busy before the run; figures will be low", flush=True
        )
    started = datetime.now(UTC)
    began = time.monotonic()
    print(options.describe(), flush=True)
    results = [
        run_backend(backend, options, chosen, args.postgres_database) for backend in backends
    ]
    seconds = time.monotonic() - began
    postgres = next((r.database.split(" (")[0] for r in results if r.backend == "postgresql"), None)
    info = report.RunInfo(
        started=started,
        command=f"python -m bench.run {shlex.join(argv)}".strip(),
        load=options.describe(),
        seconds=seconds,
        postgres=postgres,
        busy_before=busy,
    )
    text = report.markdown(results, info)
    print("\n" + text)
    if args.record:
        args.results.write_text(text)
        print(f"recorded in {args.results}")
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2))
    invalid = [
        f"{result.backend} {row.scenario.key}"
        for result in results
        for row in [*result.rows, *result.growth]
        if not row.valid
    ]
    if invalid:
        print(f"INVALID rows (failed requests or ran out of data): {', '.join(invalid)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
