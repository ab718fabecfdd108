"""What a scenario module receives and returns.

A scenario module exposes `NAME`, `DESCRIPTION` and `run(ctx: Context) -> ScenarioResult`. It
prepares its data through `ctx.platform` (the platform's services on the server's database, with
the server's secret), then calls `ctx.measure(plan)` once per row, all against `ctx.url`.
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

    def baseline_row(self) -> Measurement | None:
        return next((row for row in self.rows if row.plan.label == self.baseline), None)
