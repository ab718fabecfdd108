"""The table on stdout, and the sections of bench/RESULTS.md."""

from __future__ import annotations

import math
import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.load import DIRECT, Measurement
from bench.scenario import ScenarioResult

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

HEADER = """# Benchmark results

Written by `python -m bench.run --record` (`make bench BENCH_ARGS=--record`): one section per
scenario and backend, replaced by the next recorded run of the same pair. Numbers compare with
each other within a section (same run, same server process, same machine), not across machines.

Columns: `req/s` is the answers received in the measured window (after the warm-up) over its
length; `p50`/`p99` are latencies seen by the client (nearest rank) of the requests started in
that window; `÷ bare` divides by the `POST /bench/bare` row (a bench-only route that parses a
small JSON body and does one INSERT in one transaction through the platform's own engine);
`server CPU ms/req` is the uvicorn process's CPU time per answer; `CPU` is in cores (1.00 = one
core busy) for the uvicorn process / the load process / all PostgreSQL processes / the whole
machine (when `all` is well above the sum of the others, something else was running and the row
is pessimistic).

Some sections divide by another row, named in their column headers (`÷ direct`): the same work
done straight on the database by the bench process, no HTTP. In those `direct` rows a request is
one transaction, and the `load` CPU column is the bench process doing it (the server is idle).
A section whose requests carry several items (a batch of payloads) adds a column for items/s.
"""

COLUMNS = (
    "endpoint",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "req/s ÷ bare",
    "p50 ÷ bare",
    "p99 ÷ bare",
    "errors",
    "server CPU ms/req",
    "CPU server / load / pg / all",
)


def columns(result: ScenarioResult) -> list[str]:
    names = [name.replace("÷ bare", f"÷ {result.baseline_name}") for name in COLUMNS]
    if result.unit is not None:
        names.insert(3, result.unit[0])
    return names


@dataclass(frozen=True)
class RunInfo:
    backend: str
    database: str
    server: str
    load: str
    command: str
    started: datetime
    quiet: str  # how busy the machine was before the run
    code: str  # the commit, and whether the server's code had uncommitted changes


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = f"nproc {cpus}" + (f" ({model})" if model else "")
    return f"{cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _ratio(value: float, base: float | None) -> str:
    if base is None or not base or math.isnan(value) or math.isnan(base):
        return "-"
    return f"{value / base:.2f}"


def cells(
    row: Measurement, base: Measurement | None, unit: tuple[str, int] | None = None
) -> list[str]:
    errors = str(row.errors)
    if row.unexpected:
        errors += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(row.unexpected.items())) + ")"
    requests = str(row.requests) + (" (ran out)" if row.exhausted else "")
    per_unit = [f"{row.rate * unit[1]:.0f}"] if unit is not None else []
    direct = row.plan.method == DIRECT  # the server did nothing: no server CPU per request
    return [
        row.plan.label + (f" ({row.plan.note})" if row.plan.note else ""),
        requests,
        f"{row.rate:.0f}",
        *per_unit,
        f"{row.p50:.1f}",
        f"{row.p99:.1f}",
        _ratio(row.rate, base.rate if base else None),
        _ratio(row.p50, base.p50 if base else None),
        _ratio(row.p99, base.p99 if base else None),
        errors,
        f"{row.cpu.server / row.rate * 1000:.1f}" if row.rate and not direct else "-",
        row.cpu.describe(),
    ]


def text_table(result: ScenarioResult, info: RunInfo) -> str:
    base = result.baseline_row()
    names = columns(result)
    grid = [names, *(cells(row, base, result.unit) for row in result.rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(names))]
    lines = [
        f"{result.name} · {info.backend} — {info.database}; {info.server}; {info.load}",
    ]
    for index, line in enumerate(grid):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(line)
            )
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines += [f"  {note}" for note in result.notes]
    return "\n".join(lines)


def heading(result: ScenarioResult, info: RunInfo) -> str:
    return f"## {result.name} · {info.backend}"


def markdown_section(result: ScenarioResult, info: RunInfo) -> str:
    base = result.baseline_row()
    names = columns(result)
    lines = [
        heading(result, info),
        "",
        f"- Date: {info.started.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; {info.quiet}",
        f"- Code: {info.code}",
        f"- Database: {info.database}",
        f"- Server: {info.server}",
        f"- Load: {info.load}, one separate process (asyncio, httpx keep-alive clients)",
        f"- Command: `{info.command}`",
        "",
        "| " + " | ".join(names) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(names))) + "|",
    ]
    lines += ["| " + " | ".join(cells(row, base, result.unit)) + " |" for row in result.rows]
    if result.notes:
        lines.append("")
        lines += result.notes
    return "\n".join(lines) + "\n"


def record(sections: list[tuple[str, str]], path: Path = RESULTS) -> None:
    """Replace each section (by its `## ` heading) in `path`, or append it. The text before the
    first section is this module's `HEADER`; other sections (notes by hand) are kept."""
    text = path.read_text() if path.exists() else ""
    existing = re.split(r"(?m)^(?=## )", text)[1:]
    head = HEADER
    ordered: dict[str, str] = {}
    for part in existing:
        ordered[part.splitlines()[0].strip()] = part.rstrip("\n") + "\n"
    for title, body in sections:
        ordered[title] = body
    chunks = [head.rstrip("\n") + "\n", *ordered.values()]
    path.write_text("\n".join(chunks))
