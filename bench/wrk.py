"""Running wrk: one scenario script of bench/lua/, its data split into one file per wrk thread,
and the JSON line its `done()` hook prints."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
INSTALL_HINT = "apt-get install -y wrk"


class WrkMissing(RuntimeError):
    pass


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(f"wrk is not installed; install it with `{INSTALL_HINT}`")
    return found


def wrk_version() -> str:
    try:
        done = subprocess.run(
            [wrk_binary(), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, WrkMissing):
        return "wrk (unknown version)"
    first = (done.stdout or done.stderr).splitlines()
    return " ".join(first[0].split()[:2]) if first else "wrk"


@dataclass
class WrkResult:
    requests: int = 0  # completed
    sent: int = 0
    duration_s: float = 0.0
    non2xx: int = 0
    exhausted: bool = False
    socket_errors: int = 0
    timeouts: int = 0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    samples: str = ""
    offered_rate: float = 0.0  # 0: saturation

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def sent_rate(self) -> float:
        return self.sent / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def failures(self) -> int:
        """Answers that are not 2xx, and requests that got no answer at all."""
        return self.non2xx + self.socket_errors + self.timeouts


@dataclass
class Load:
    """One wrk run of a scenario."""

    script: str  # file name in bench/lua/
    url: str
    duration: int  # seconds (wrk takes whole seconds)
    connections: int
    threads: int
    data: Sequence[str] | None = None  # one request's data per line, split between the threads
    cycle: bool = False  # lines may be used again (read-only data)
    rate: float = 0.0  # total offered requests/s; 0: as fast as answers come (saturation)
    max_requests: int = 0  # per thread; 0: no limit
    environment: dict[str, str] = field(default_factory=dict)


def run(load: Load, *, stop_when: Callable[[], bool] | None = None) -> WrkResult:
    """Run wrk once. `stop_when`, polled, ends the run early (SIGINT: wrk reports what it did)."""
    threads = max(1, min(load.threads, load.connections))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as workdir:
        environment = {
            **os.environ,
            **load.environment,
            "BENCH_RATE": f"{load.rate:.3f}",
            "BENCH_THREADS": str(threads),
            "BENCH_CYCLE": "1" if load.cycle else "0",
            "BENCH_MAX_REQUESTS": str(load.max_requests),
            "BENCH_TAG": os.urandom(4).hex(),
            "BENCH_DATA": "",
        }
        if load.data is not None:
            prefix = Path(workdir) / "data"
            write_slices(prefix, load.data, threads)
            environment["BENCH_DATA"] = str(prefix)
        command = [
            wrk_binary(),
            "-t",
            str(threads),
            "-c",
            str(load.connections),
            "-d",
            f"{load.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA / load.script),
            load.url,
        ]
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        if stop_when is not None:
            deadline = time.monotonic() + load.duration + 5
            while process.poll() is None and time.monotonic() < deadline:
                if stop_when():
                    process.send_signal(signal.SIGINT)
                    break
                time.sleep(0.02)
        try:
            stdout, stderr = process.communicate(timeout=load.duration + 60)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    result = parse(stdout, stderr, process.returncode)
    result.offered_rate = load.rate
    return result


def write_slices(prefix: Path, data: Sequence[str], threads: int) -> None:
    """Thread i reads `<prefix>.<i>`: the i-th contiguous slice, disjoint from the others."""
    per_thread = -(-len(data) // threads) if data else 0
    for i in range(threads):
        chunk = data[i * per_thread : (i + 1) * per_thread]
        Path(f"{prefix}.{i}").write_text("".join(f"{line}\n" for line in chunk))


def parse(stdout: str, stderr: str, returncode: int | None) -> WrkResult:
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result (exit {returncode}):\n{stdout}\n{stderr}")
    raw = json.loads(line.removeprefix("BENCH-RESULT "))
    errors = raw["errors"]
    latency = raw["latency_us"]
    return WrkResult(
        requests=int(raw["requests"]),
        sent=int(raw["sent"]),
        duration_s=raw["duration_us"] / 1e6,
        non2xx=int(raw["non2xx"]),
        exhausted=bool(raw["exhausted"]),
        socket_errors=int(errors["connect"] + errors["read"] + errors["write"]),
        timeouts=int(errors["timeout"]),
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        samples=raw["samples"],
    )
