"""Benchmarks: `make bench` (`python -m bench.run`). Measurements, never timed tests: nothing here
asserts a duration (tests/bench only checks that every scenario still runs, with `--smoke`).

wrk drives the real `userlink serve` subprocess, and reference apps on the same server stack,
alternately; docs/performance.md tells how to run it and what the figures mean.

- `run.py`: the command line and the order of things, per backend.
- `servers.py`: `userlink migrate` / `userlink serve` and the reference apps as subprocesses;
  their CPU from /proc.
- `reference_apps.py`: the ASGI factory of the reference apps (`hello`, `one-insert`).
- `scenarios.py`: what each row measures, its reference and its target; one-request checks.
- `lua/`: the wrk scripts, one per scenario, and `common.lua` (data per thread, pacing, results).
- `wrk.py`: running wrk and reading its results.
- `fixtures.py`: everything that knows the platform's insides (database, tables, hasher,
  services, app object): the one module to adapt when the server's code moves.
- `sqlcount.py`: SQL statements per request, in a separate in-process pass.
- `direct.py`: the payload upload's ceiling, batches straight through the driver.
- `report.py`: ratios, targets, the tables, bench/RESULTS.md.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
