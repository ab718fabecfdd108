"""`make bench` keeps working: its smoke mode (`python -m bench.run --smoke`, every scenario about
1 s on small data) runs each backend, and every scenario yields a row with completed requests and
no failed one. Figures are not asserted: they mean nothing at this size, on a shared machine.

SQLite always; PostgreSQL when USERLINK_TEST_POSTGRES_URL is set (the bench makes its own
database `userlink_bench_smoke` on that server). wrk must be installed (`apt-get install -y wrk`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ENV = "USERLINK_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "USERLINK_TEST_REQUIRE_POSTGRES"

# The rows of one backend: the reference apps, the direct batch insert, every platform scenario.
ROWS = {
    "hello",
    "one-insert",
    "direct-batch",
    "health",
    "auth-code",
    "redemption",
    "refresh",
    "link",
    "lookup",
    "payloads",
    "timeline",
}
GROWTH_ROWS = ["auth-code", "redemption", "auth-code", "redemption"]  # few stored, then many


def run_smoke(backend: str, tmp_path: Path) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        pytest.fail("make bench needs wrk, which is not installed: apt-get install -y wrk")
    output = tmp_path / f"smoke-{backend}.json"
    command = [sys.executable, "-m", "bench.run", "--smoke", "--backend", backend]
    command += ["--json", str(output), "--postgres-database", "userlink_bench_smoke"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if not output.exists():
        pytest.fail(f"the smoke run wrote no result (exit {done.returncode}):\n{done.stdout}\n"
                    f"{done.stderr}")  # fmt: skip
    result: dict[str, Any] = json.loads(output.read_text())[backend]
    return {"result": result, "log": done.stdout + done.stderr, "exit": done.returncode}


def check(run: dict[str, Any]) -> None:
    result, log = run["result"], run["log"]
    rows = {row["key"]: row for row in result["rows"]}
    assert set(rows) == ROWS, f"rows missing: {ROWS - set(rows)}\n{log}"
    assert [row["key"] for row in result["growth"]] == GROWTH_ROWS, log
    for row in [*result["rows"], *result["growth"]]:
        assert row["requests"] > 0, f"{row['label']}: no completed request\n{log}"
        assert row["non2xx"] == 0, f"{row['label']}: {row['non2xx']} failed requests\n{log}"
        assert not row["exhausted"], f"{row['label']}: ran out of data\n{log}"
    assert run["exit"] == 0, log


def test_smoke_sqlite(tmp_path: Path) -> None:
    check(run_smoke("sqlite", tmp_path))


def test_smoke_postgresql(tmp_path: Path) -> None:
    if not os.environ.get(POSTGRES_ENV):
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(f"{POSTGRES_ENV} is not set, and this run requires PostgreSQL")
        pytest.skip(
            f"the PostgreSQL smoke of make bench is skipped: set {POSTGRES_ENV}="
            "postgresql+psycopg://postgres@127.0.0.1:5432/<database> to run it"
        )
    check(run_smoke("postgresql", tmp_path))
