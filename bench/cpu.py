"""Who used the CPU during a measurement: the server's process tree, the load process, PostgreSQL,
and the machine as a whole (Linux /proc; zeros elsewhere). In cores: 1.0 is one core busy."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, str, int, int] | None:
    """(parent pid, command name, own CPU ticks, CPU ticks of its exited, reaped children)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the name: state, ppid, ..., utime, stime, cutime, cstime are the 12th to 15th.
    own = int(fields[11]) + int(fields[12])
    return int(fields[1]), name, own, int(fields[13]) + int(fields[14])


def _all_pids() -> list[int]:
    try:
        return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is not None:
            parents[pid] = stat[0]
    tree = [root]
    for pid in tree:
        tree.extend(child for child, parent in parents.items() if parent == pid)
    return tree


def postgres_pids() -> list[int]:
    found = []
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is not None and stat[1] == "postgres":
            found.append(pid)
    return found


def _ticks(pids: list[int], *, with_children: bool = False) -> int:
    total = 0
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            total += stat[2] + (stat[3] if with_children else 0)
    return total


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot."""
    try:
        first = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0, 0
    values = [int(v) for v in first[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    server: int
    postgres: int
    client: float
    machine_busy: int
    machine_total: int


@dataclass(frozen=True)
class CpuUse:
    server: float
    load: float
    postgres: float
    machine: float  # all CPUs busy, in cores

    def describe(self) -> str:
        return f"{self.server:.2f} / {self.load:.2f} / {self.postgres:.2f} / {self.machine:.2f}"


class CpuMeter:
    """Snapshots taken in the load process. The server's tree is looked up once; PostgreSQL's
    processes at every snapshot, counting what the postmaster reaped (short-lived backends)."""

    def __init__(self, server_pid: int | None) -> None:
        self._server = process_tree(server_pid) if server_pid else []

    def snapshot(self) -> CpuSnapshot:
        busy, total = _machine_ticks()
        return CpuSnapshot(
            wall=time.perf_counter(),
            server=_ticks(self._server),
            postgres=_ticks(postgres_pids(), with_children=True),
            client=time.process_time(),
            machine_busy=busy,
            machine_total=total,
        )

    @staticmethod
    def between(start: CpuSnapshot, end: CpuSnapshot) -> CpuUse:
        wall = max(end.wall - start.wall, 1e-9)
        cpus = os.cpu_count() or 1
        machine_total = max(end.machine_total - start.machine_total, 1)
        return CpuUse(
            server=(end.server - start.server) / TICKS / wall,
            load=(end.client - start.client) / wall,
            postgres=(end.postgres - start.postgres) / TICKS / wall,
            machine=(end.machine_busy - start.machine_busy) / machine_total * cpus,
        )


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over the next `seconds` (before a run: is it quiet?)."""
    busy, total = _machine_ticks()
    time.sleep(seconds)
    busy_after, total_after = _machine_ticks()
    return (busy_after - busy) / max(total_after - total, 1) * (os.cpu_count() or 1)
