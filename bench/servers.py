"""The processes under load: `userlink serve` as deployed, and the reference apps on the same stack.

- The platform: `.venv/bin/userlink migrate`, then `.venv/bin/userlink serve --workers N`, with the
  environment of a production deployment (USERLINK_ENVIRONMENT=production, a random 48-character
  USERLINK_SECRET_KEY, USERLINK_DATABASE_URL, USERLINK_HOST/PORT) and one difference: rate limits
  off (USERLINK_RATE_LIMIT_ENABLED=false), because all the load comes from one client address and
  the platform would rightly refuse it. The bench passes no uvicorn flag: the serve command
  chooses its own server settings.
- The reference apps (bench/reference_apps.py): `python -m uvicorn --factory ... --loop uvloop
  --http httptools --no-access-log --workers N`.

CPU: the utime + stime of a process tree (the server and every worker it started), and of every
PostgreSQL process, from /proc.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from bench import ROOT

BIN = Path(sys.executable).parent
PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def new_secret_key() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(48))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def platform_environment(database_url: str, secret_key: str, port: int) -> dict[str, str]:
    """What `userlink serve` and `userlink migrate` read (the deployment's USERLINK_*)."""
    return {
        "USERLINK_ENVIRONMENT": "production",
        "USERLINK_SECRET_KEY": secret_key,
        "USERLINK_DATABASE_URL": database_url,
        "USERLINK_HOST": "127.0.0.1",
        "USERLINK_PORT": str(port),
        "USERLINK_RATE_LIMIT_ENABLED": "false",
    }


def _base_environment() -> dict[str, str]:
    """The bench's environment without any USERLINK_* (those are set explicitly)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("USERLINK_")}


def migrate(jobs: list[tuple[dict[str, str], Path]]) -> None:
    """`userlink migrate` with each (environment, log), all at once."""
    running = []
    for environment, log in jobs:
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(BIN / "userlink"), "migrate"],
                cwd=ROOT,
                env={**_base_environment(), **environment},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        running.append((process, log))
    for process, log in running:
        code = process.wait(timeout=300)
        if code != 0:
            raise RuntimeError(f"`userlink migrate` failed ({code}):\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Server:
    """One HTTP server subprocess, in a session of its own (Ctrl-C reaches the bench only)."""

    name: str
    command: list[str]
    environment: dict[str, str]
    port: int
    log: Path
    ready_path: str = "/health"
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env={**_base_environment(), **self.environment},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{tail(self.log)}")
            try:
                response = httpx.request(
                    "GET" if self.ready_path == "/health" else "POST",
                    self.url + self.ready_path,
                    json=None if self.ready_path == "/health" else {"external_id": "ready"},
                    timeout=2,
                )
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:g} s:\n{tail(self.log)}")

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Workers of a multi-process server left behind by a killed parent: the process group
        # is this server's own (start_new_session), so only what it started is signalled.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def cpu_seconds(self) -> float:
        return cpu_seconds(process_tree(self.pid)) if self._process else 0.0


class Servers:
    """Every server of one backend, started together and stopped together."""

    def __init__(self, servers: list[Server]) -> None:
        self.by_name = {server.name: server for server in servers}

    def __getitem__(self, name: str) -> Server:
        return self.by_name[name]

    def __enter__(self) -> Servers:
        """Starts them all; `wait_ready` waits for their answers (they boot meanwhile)."""
        try:
            for server in self.by_name.values():
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self) -> None:
        for server in self.by_name.values():
            server.wait_ready()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        for server in self.by_name.values():
            server.stop()


def platform_server(
    database_url: str, secret_key: str, workers: int, log: Path
) -> tuple[Server, dict[str, str]]:
    port = free_port()
    environment = platform_environment(database_url, secret_key, port)
    # Its own data directory (serve's metrics files), beside its log, not the user's.
    environment["USERLINK_DATA_DIR"] = str(log.parent / "userlink-data")
    command = [str(BIN / "userlink"), "serve", "--workers", str(workers)]
    return Server("platform", command, environment, port, log), environment


def reference_server(app: str, workers: int, workdir: Path, environment: dict[str, str]) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.reference_apps:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(
        app,
        command,
        {"BENCH_REFERENCE_APP": app, **environment},
        port,
        workdir / f"{app}.log",
        ready_path=f"/{app}",
    )


# --- CPU from /proc ----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int, int] | None:
    """(parent pid, command name, own CPU ticks, CPU ticks of its exited, reaped children)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the name: state, ppid, ...; utime, stime, cutime, cstime are the 12th to 15th.
    return (
        int(fields[1]),
        name,
        int(fields[11]) + int(fields[12]),
        int(fields[13]) + int(fields[14]),
    )


def _pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def process_tree(root: int) -> list[int]:
    parents = {}
    for pid in _pids():
        stat = _stat(pid)
        if stat is not None:
            parents[pid] = stat[0]
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def cpu_seconds(pids: list[int], *, with_children: bool = False) -> float:
    ticks = 0
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            ticks += stat[2] + (stat[3] if with_children else 0)
    return ticks / TICKS


def _machine_ticks() -> tuple[int, int]:
    """(busy, all) ticks of every CPU since boot."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n")[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over the next `seconds`."""
    busy, total = _machine_ticks()
    time.sleep(seconds)
    busy_after, total_after = _machine_ticks()
    return (busy_after - busy) / max(total_after - total, 1) * (os.cpu_count() or 1)


def postgres_cpu_seconds(database: str) -> float:
    """The PostgreSQL backends serving `database` (their process title names it)."""
    pids = []
    for pid in _pids():
        stat = _stat(pid)
        if stat is None or stat[1] != "postgres":
            continue
        try:
            title = (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f" {database} " in title.replace("\0", " "):
            pids.append(pid)
    return cpu_seconds(pids)


@dataclass(frozen=True)
class Usage:
    """CPU seconds during one measurement, and its wall time."""

    wall: float
    server: float
    database: float  # PostgreSQL's backends of the bench database
    load: float  # wrk, and the bench process itself
    machine: float  # every CPU of the machine

    @property
    def other_cores(self) -> float:
        """What nobody measured here used: other processes on a shared machine, in cores."""
        rest = self.machine - self.server - self.database - self.load
        return max(0.0, rest / self.wall) if self.wall > 0 else 0.0


class Meter:
    """Snapshots around a measurement."""

    def __init__(self, server: Server | None, database: str | None) -> None:
        self.server = server
        self.database = database

    def _read(self) -> tuple[float, float, float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it was waited for
        machine, _ = _machine_ticks()
        return (
            time.monotonic(),
            self.server.cpu_seconds() if self.server else 0.0,
            postgres_cpu_seconds(self.database) if self.database else 0.0,
            children.ru_utime + children.ru_stime + time.process_time(),
            machine / TICKS,
        )

    @contextmanager
    def measure(self) -> Iterator[list[Usage]]:
        """`with meter.measure() as usage:` ... then `usage[0]`."""
        found: list[Usage] = []
        before = self._read()
        yield found
        after = self._read()
        wall, server, database, load, machine = (b - a for a, b in zip(before, after, strict=True))
        found.append(Usage(wall, server, database, load, machine))
