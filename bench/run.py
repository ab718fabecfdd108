"""`make bench` / `python -m bench.run`: every scenario, per backend, on one uvicorn process.

    python -m bench.run                          # SQLite, and PostgreSQL if its URL is set
    python -m bench.run --backend sqlite --duration 20 --concurrency 64
    python -m bench.run --scenario timeline --timeline-rows 1000000   # the recorded timeline size
    USERLINK_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.run --record             # writes bench/RESULTS.md

PostgreSQL: the server of USERLINK_BENCH_POSTGRES_URL (else USERLINK_TEST_POSTGRES_URL); the bench
drops and recreates its own database there (`--postgres-database`, default userlink_bench).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from sqlalchemy.engine import make_url

from bench import ROOT, auth_codes, backends, payload_ingest, report, timeline
from bench.cpu import machine_busy
from bench.load import LoadOptions, LoadProcess
from bench.scenario import Context, ScenarioResult
from bench.server import ServerProcess, stack_description
from userlink.kit.clock import SystemClock
from userlink.platform import build_platform
from userlink_testing.live import test_settings

QUIET_CORES = 0.25
SCENARIOS: dict[str, ModuleType] = {
    module.NAME: module for module in (auth_codes, payload_ingest, timeline)
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="both: SQLite, plus PostgreSQL when its URL is set (default)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="repeatable; default: all",
    )
    parser.add_argument("--concurrency", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per row (default 2)")
    parser.add_argument(
        "--duration", type=float, default=6.0, help="measured seconds per row (default 6)"
    )
    parser.add_argument(
        "--requests", type=int, help="a fixed number of measured requests per row, not a duration"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    parser.add_argument(
        "--timeline-rows",
        type=int,
        default=100_000,
        help="payloads of the timeline scenario's user, bulk-inserted (default %(default)s; "
        "the recorded runs use 1000000)",
    )
    parser.add_argument(
        "--postgres-database",
        default=backends.DEFAULT_POSTGRES_DATABASE,
        help="dropped and recreated on each run (default %(default)s)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be idle (shared machines)",
    )
    parser.add_argument("--record", action="store_true", help="write the tables to RESULTS.md")
    parser.add_argument(
        "--results",
        type=Path,
        default=report.RESULTS,
        help="for --record",
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.workers < 1 or args.warmup < 0 or args.duration <= 0:
        parser.error("--concurrency and --workers must be at least 1, --duration positive")
    if args.requests is not None and args.requests < 1:
        parser.error("--requests must be at least 1")
    if args.timeline_rows < 1:
        parser.error("--timeline-rows must be at least 1")
    return args


def chosen_backends(choice: str) -> list[str]:
    if choice == "sqlite":
        return ["sqlite"]
    has_postgres = backends.postgres_server_url() is not None
    if choice == "postgresql":
        if not has_postgres:
            sys.exit(f"--backend postgresql needs {' or '.join(backends.POSTGRES_ENVS)}")
        return ["postgresql"]
    if not has_postgres:
        print(f"PostgreSQL skipped: set {backends.POSTGRES_ENVS[0]} to include it.\n")
        return ["sqlite"]
    return ["sqlite", "postgresql"]


def command_line(argv: list[str]) -> str:
    prefix = ""
    for name in backends.POSTGRES_ENVS:
        if os.environ.get(name):
            shown = make_url(os.environ[name]).render_as_string(hide_password=True)
            prefix = f"{name}={shown} "
            break
    return f"{prefix}python -m bench.run {shlex.join(argv)}".strip()


def wait_for_quiet(patience: float) -> float:
    """Cores busy over one second, once the machine is idle or `patience` seconds have passed."""
    deadline = time.monotonic() + patience
    busy = machine_busy()
    while busy > QUIET_CORES and time.monotonic() < deadline:
        print(f"waiting for the machine to be idle ({busy:.2f} cores busy)", flush=True)
        time.sleep(2)
        busy = machine_busy()
    return busy


def code_version() -> str:
    """The commit measured, and any uncommitted change to the server's code."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.rstrip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "server/src").splitlines()]
    if not changed:
        return f"commit {commit}"
    return f"commit {commit} plus uncommitted changes to {', '.join(changed)}"


def run_backend(
    backend: str,
    scenarios: list[ModuleType],
    options: LoadOptions,
    load: LoadProcess,
    args: argparse.Namespace,
) -> tuple[str, list[ScenarioResult]]:
    with tempfile.TemporaryDirectory(prefix="userlink-bench-") as workdir:
        prepared = backends.prepare(
            backend, Path(workdir), postgres_database=args.postgres_database
        )
        print(f"{backend}: {prepared.description} at {prepared.display_url}", flush=True)
        platform = build_platform(test_settings(prepared.url), SystemClock())
        server = ServerProcess(prepared.url, Path(workdir) / "uvicorn.log", workers=args.workers)
        try:
            with server:
                ctx = Context(
                    backend,
                    server.url,
                    server.pid,
                    platform,
                    options,
                    load,
                    timeline_rows=args.timeline_rows,
                )
                results = [scenario.run(ctx) for scenario in scenarios]
            log = server.log_tail()
            if log.strip():
                print(f"{backend}: the server logged:\n{log}")
        finally:
            platform.database.dispose()
    return prepared.description, results


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    options = LoadOptions(
        concurrency=args.concurrency,
        warmup=args.warmup,
        duration=args.duration,
        requests=args.requests,
    )
    scenarios = [SCENARIOS[name] for name in (args.scenario or sorted(SCENARIOS))]
    started = datetime.now(UTC)
    clock = time.monotonic()
    idle_check = wait_for_quiet(args.wait_quiet)
    quiet = f"{idle_check:.2f} cores busy just before the run"
    code = code_version()
    print(quiet)
    if idle_check > QUIET_CORES:
        print("  warning: the machine is not idle; the numbers will be low and noisy")
    tables: list[str] = []
    sections: list[tuple[str, str]] = []
    with LoadProcess() as load:
        for backend in chosen_backends(args.backend):
            database, results = run_backend(backend, scenarios, options, load, args)
            info = report.RunInfo(
                backend=backend,
                database=database,
                server=stack_description(args.workers),
                load=options.describe(),
                command=command_line(argv),
                started=started,
                quiet=quiet,
                code=code,
            )
            for result in results:
                tables.append(report.text_table(result, info))
                sections.append(
                    (report.heading(result, info), report.markdown_section(result, info))
                )
    print("\n" + "\n\n".join(tables))
    print(f"\n{report.machine()}; {time.monotonic() - clock:.0f} s in all")
    if args.record:
        report.record(sections, args.results)
        print(f"recorded in {args.results}")


if __name__ == "__main__":
    main()
