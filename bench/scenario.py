"""What a scenario module receives and returns.

A scenario module exposes `NAME`, `DESCRIPTION` and `run(ctx: Context) -> ScenarioResult`. It
prepares its data through `ctx.platform` (the platform's services on the server's database, with
the server's secret), then calls `ctx.measure(plan)` once per row, all against `ctx.url`. A row
measured without HTTP, straight on the database from the bench process, comes from
`bench.direct.measure_direct` and is marked `direct` in its label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.load import LoadOptions, LoadProcess, Measurement, Plan
from userlink.platform import Platform


@dataclass
class Context:
    backend: str
    url: str
    server_pid: int
    platform: Platform
    options: LoadOptions
    load: LoadProcess
    timeline_rows: int = 100_000  # the timeline scenario's user's payloads (--timeline-rows)
    progress: bool = True

    def measure(self, plan: Plan) -> Measurement:
        if self.progress:
            print(f"  {self.backend}: {plan.label} ...", flush=True)
        return self.load.measure(self.url, plan, self.options, self.server_pid)


@dataclass
class ScenarioResult:
    name: str
    description: str
    rows: list[Measurement]
    baseline: str | None = None  # the label of the row every ratio divides by
    notes: list[str] = field(default_factory=list)
    baseline_name: str = "bare"  # what the ratio columns say they divide by: "req/s ÷ bare"
    # An extra column when a request carries several items: ("payloads/s", 100) is req/s times 100.
    unit: tuple[str, int] | None = None

    def baseline_row(self) -> Measurement | None:
        return next((row for row in self.rows if row.plan.label == self.baseline), None)
