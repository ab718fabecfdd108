"""The systemd units of deploy/systemd, as far as a machine without systemd running allows.

`systemd-analyze verify` checks each unit, pointed at this venv's `userlink` and a settings file of
the test's own (the only rewriting). Then the unit's command lines run the way systemd runs them:
each `ExecStartPre=` to completion, then `ExecStart=` in a process group of its own (the unit's
cgroup), from `/`, with systemd's small environment plus the unit's `Environment=`,
`EnvironmentFile=` and `StateDirectory=`; stopped with `KillSignal=` sent to the whole group, which
must be gone within `TimeoutStopSec=`. Not emulated: `User=`/`Group=` (the test runs as itself), the
sandboxing (`ProtectSystem=` and the like) and `Restart=`.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from userlink_testing.backends import postgres_url_or_skip
from userlink_testing.deploy import (
    DEPLOY,
    INSTALLED_SETTINGS,
    INSTALLED_USERLINK,
    answers,
    own_postgres_database,
    production_settings,
    rendered,
    service_environment,
    wait_until,
    write_settings,
)
from userlink_testing.live import free_port

UNITS = DEPLOY / "systemd"
SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")
USERLINK = Path(sys.executable).parent / "userlink"


def parse_unit(content: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with all its values in order (`ExecStartPre=` may repeat).
    Comments and blank lines are skipped; the shipped units continue no line."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in content.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        assert not line.endswith("\\"), f"a continued line, which this parser does not read: {line}"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, separator, value = line.partition("=")
        assert separator, f"not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@dataclass(frozen=True)
class Service:
    """A unit's [Service] section, run as systemd would run it (as far as the test can)."""

    path: Path
    settings: dict[str, list[str]]
    state_root: Path
    home: Path

    @classmethod
    def rendered(cls, name: str, settings_file: Path, workdir: Path) -> Service:
        """deploy/systemd/<name> with its `userlink` and settings file replaced by the test's."""
        content = rendered(
            UNITS / name,
            {INSTALLED_USERLINK: str(USERLINK), INSTALLED_SETTINGS: str(settings_file)},
        )
        path = workdir / name
        path.write_text(content)
        home = workdir / "home"
        home.mkdir(exist_ok=True)
        return cls(path, parse_unit(content)["Service"], workdir / "state", home)

    def one(self, key: str) -> str:
        (value,) = self.settings[key]
        return value

    def environment(self) -> dict[str, str]:
        environment = service_environment(self.home)
        for directory in self.settings.get("StateDirectory", []):
            path = self.state_root / directory
            path.mkdir(parents=True, exist_ok=True)
            environment["STATE_DIRECTORY"] = str(path)
        # Neither shipped unit sets these today; honoured so that one that does is run right.
        for assignments in self.settings.get("Environment", []):
            for word in shlex.split(assignments):
                key, _, value = word.partition("=")
                environment[key] = value
        for name in self.settings.get("EnvironmentFile", []):
            file = Path(name.removeprefix("-"))
            if name.startswith("-") and not file.exists():
                continue
            for line in file.read_text().splitlines():
                if line.strip() and not line.lstrip().startswith(("#", ";")):
                    key, _, value = line.partition("=")
                    environment[key.strip()] = value.strip().strip("\"'")
        return environment

    def start_pre(self) -> list[subprocess.CompletedProcess[str]]:
        """Every `ExecStartPre=` in order; systemd fails the start at the first that fails."""
        done = []
        for command in self.settings.get("ExecStartPre", []):
            done.append(
                subprocess.run(
                    shlex.split(command),
                    env=self.environment(),
                    cwd=self.working_directory,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
            )
            assert done[-1].returncode == 0, f"{command}:\n{done[-1].stdout}{done[-1].stderr}"
        return done

    def start(self, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as output:
            return subprocess.Popen(
                shlex.split(self.one("ExecStart")),
                env=self.environment(),
                cwd=self.working_directory,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def working_directory(self) -> str:
        return self.settings.get("WorkingDirectory", ["/"])[-1]

    @property
    def kill_signal(self) -> signal.Signals:
        return signal.Signals[self.one("KillSignal")]

    @property
    def timeout_stop_seconds(self) -> float:
        return float(self.one("TimeoutStopSec").removesuffix("s"))

    def stop(self, process: subprocess.Popen[bytes]) -> tuple[int, float]:
        """`KillSignal=` to every process of the group, as systemd's default KillMode
        (control-group) sends it; (the main process's exit status, seconds until the whole group
        was gone). Past `TimeoutStopSec=` the test fails (systemd would send SIGKILL)."""
        started = time.monotonic()
        os.killpg(process.pid, self.kill_signal)
        status = process.wait(timeout=self.timeout_stop_seconds)
        wait_until(
            lambda: not group_alive(process.pid),
            what="the unit's processes exit",
            timeout=max(0.0, self.timeout_stop_seconds - (time.monotonic() - started)),
        )
        return status, time.monotonic() - started


# What systemd counts as a clean stop of a service's main process (systemd.service(5),
# SuccessExitStatus=): exit status 0, or death by one of these signals.
CLEAN_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)


def clean_stop(status: int) -> bool:
    return status == 0 or -status in CLEAN_SIGNALS


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The processes a test starts; killed (the whole group) if the test did not stop them."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """docs/deployment.md's settings for a fresh database: SQLite in the data directory (the
    default), or a PostgreSQL database of this test's own with two server processes."""
    data_dir = tmp_path / "state" / "userlink"
    path = tmp_path / "userlink.env"
    if request.param == "sqlite":
        yield write_settings(path, **production_settings(data_dir, free_port(), None))
        return
    with own_postgres_database(postgres_url_or_skip(), "systemd") as url:
        settings = production_settings(data_dir, free_port(), url)
        yield write_settings(path, **settings, workers="2")


def settings_value(settings_file: Path, name: str, default: str | None = None) -> str:
    for line in settings_file.read_text().splitlines():
        if line.startswith(f"USERLINK_{name}="):
            return line.split("=", 1)[1]
    assert default is not None, f"USERLINK_{name} is not in {settings_file}"
    return default


def analyze_verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYSTEMD_ANALYZE), "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def verify_works_here(workdir: Path) -> str | None:
    """None when `systemd-analyze verify` can judge a unit on this machine, else why not (its
    answer to a unit with nothing wrong)."""
    if not SYSTEMD_ANALYZE.is_file():
        return f"{SYSTEMD_ANALYZE} is not installed (Debian's package systemd)"
    control = workdir / "control.service"
    control.write_text("[Service]\nExecStart=/bin/true\n")
    answer = analyze_verify(control)
    if answer.returncode != 0 or answer.stdout or answer.stderr:
        return f"systemd-analyze verify refuses even a minimal unit here: {answer.stderr.strip()}"
    return None


@pytest.mark.parametrize("name", ["userlink.service", "userlink-worker.service"])
def test_systemd_analyze_verify_accepts_the_unit(name: str, tmp_path: Path) -> None:
    reason = verify_works_here(tmp_path)
    if reason is not None:
        pytest.skip(reason)
    settings = write_settings(tmp_path / "userlink.env", environment="production")
    unit = Service.rendered(name, settings, tmp_path)

    answer = analyze_verify(unit.path)

    assert (answer.returncode, answer.stdout + answer.stderr) == (0, "")


def test_the_server_unit_migrates_serves_and_stops_on_its_kill_signal(
    settings_file: Path, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    unit = Service.rendered("userlink.service", settings_file, tmp_path)
    url = f"http://127.0.0.1:{settings_value(settings_file, 'PORT')}"
    workers = int(settings_value(settings_file, "WORKERS", default="1"))
    log = tmp_path / "serve.log"

    (migrated,) = unit.start_pre()
    process = unit.start(log)
    running.append(process)
    wait_until(
        lambda: (
            log.read_text().count("Application startup complete") == workers
            and answers(f"{url}/health/ready")
        ),
        what=f"{workers} worker processes started and /health/ready answers 200",
        alive=lambda: process.poll() is None,
        log=log,
    )
    status, seconds = unit.stop(process)

    assert "created the schema" in migrated.stdout, migrated.stdout
    assert clean_stop(status), log.read_text()
    assert seconds < unit.timeout_stop_seconds
    assert log.read_text().count("Application shutdown complete") == workers
    assert "Traceback" not in log.read_text()


def test_the_worker_unit_starts_and_stops_on_its_kill_signal(
    settings_file: Path, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    # The server's unit comes first (the worker's After=): its ExecStartPre migrates.
    Service.rendered("userlink.service", settings_file, tmp_path).start_pre()
    unit = Service.rendered("userlink-worker.service", settings_file, tmp_path)
    log = tmp_path / "worker.log"

    process = unit.start(log)
    running.append(process)
    wait_until(
        lambda: "delivering webhooks" in log.read_text(),
        what="the worker says it delivers",
        alive=lambda: process.poll() is None,
        log=log,
    )
    status, seconds = unit.stop(process)

    assert clean_stop(status), log.read_text()
    assert seconds < unit.timeout_stop_seconds
    assert "Traceback" not in log.read_text()
