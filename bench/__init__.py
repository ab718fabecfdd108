"""Benchmarks: `make bench` (`python -m bench.run`). Measurements, never timed tests: nothing here
asserts a duration, and nothing here runs under pytest.

One uvicorn process per backend serves the platform; every scenario runs against that same process,
and the load comes from a separate process.

- `run.py`: the command line; prepares each backend, starts its server, runs the scenarios, prints
  the tables and, with `--record`, writes them to `bench/RESULTS.md`.
- `backends.py`: a fresh, migrated database per backend (a SQLite file; a dedicated PostgreSQL
  database, never the tests' one).
- `app.py`: the ASGI factory the server runs: the platform's own app plus the bench-only baseline
  routes (`/bench/noop`, `/bench/bare`).
- `server.py`: the uvicorn subprocess.
- `load.py`: the shared load generator (asyncio, one keep-alive httpx client per connection) and
  its `Plan` / `Measurement` types; `cpu.py`: who used the CPU while it ran.
- `scenario.py`: what a scenario module receives (`Context`) and returns (`ScenarioResult`).
- `direct.py`: rows measured straight on the database from the bench process, no HTTP (the
  ceiling a route's own statements reach on the same database, same run).
- One module per scenario, exposing `NAME`, `DESCRIPTION` and `run(ctx)`, listed in
  `run.SCENARIOS`: `auth_codes.py`, `payload_ingest.py` (batches of 100 payloads against the
  same INSERTs made directly) and `timeline.py` (random-cursor pages of a bulk-loaded timeline,
  `--timeline-rows`, with the page query's plan).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The shared test support (factories, test settings) is a plain directory, not an installed package.
_TESTING = str(ROOT / "testing")
if _TESTING not in sys.path:
    sys.path.insert(0, _TESTING)
