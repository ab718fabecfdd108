"""Crashes in the middle of an upload, over real processes on each database backend: the
platform (`userlink serve`) killed with SIGKILL and started again on the same database and port,
and the device process (tests/e2e/crash_device.py) killed with SIGKILL and started again on the
same state directory. Whatever the device was told was acknowledged is stored exactly once, and
once the device has resumed, so is every payload it had queued.

"Mid-way" is reached by state, not by time: the device holds its fourth upload, either before
sending it or once its answer has arrived, and the test kills a process there (or lets the
batch go and kills at once, racing it)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest

from userlink.models import payloads
from userlink_sdk import DeviceInfo, UserCreationOptions, UserLink
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import issue_code
from userlink_testing.factories.records import rows
from userlink_testing.live import TEST_SECRET, free_port

PHONE = DeviceInfo(platform="android", os_version="14", model="Pixel 8", screen_diagonal_inches=6.2)
QUEUE_FILE = "queue.sqlite3"
DEVICE_SCRIPT = Path(__file__).with_name("crash_device.py")
PAYLOADS = 1_000
BATCH = 100  # the platform's batch size, which the SDK uses
HELD_UPLOAD = 4  # the upload request the device holds: three batches are acknowledged before it
START_DEADLINE = 60.0
UPLOAD_DEADLINE = 180.0


def wait_for(condition: Callable[[], bool], *, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {seconds:.0f} s for {what}")
        time.sleep(0.02)


class PlatformProcess:
    """`userlink serve` as an operator starts it, on the test database, on a port of its own that
    it keeps across restarts. `kill()` sends SIGKILL to its whole process group."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {
            **os.environ,
            "USERLINK_DATABASE_URL": database_url,
            "USERLINK_ENVIRONMENT": "test",
            "USERLINK_SECRET_KEY": TEST_SECRET,
            "USERLINK_PORT": str(self.port),
            "USERLINK_RATE_LIMIT_ENABLED": "false",
        }
        self.log_path = log
        self.log: BinaryIO = log.open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "userlink"), "serve"],
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.answers, what=f"userlink serve on {self.url}", seconds=START_DEADLINE)

    def answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"userlink serve exited: {self.log_path.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class DeviceProcess:
    """tests/e2e/crash_device.py on a state directory; its JSON lines are read as they come."""

    def __init__(self, state_dir: Path, log: Path, *holds: str) -> None:
        """`holds`: `"request"` or `"answer"`, to hold the HELD_UPLOAD-th upload there."""
        command = [sys.executable, str(DEVICE_SCRIPT), str(state_dir)]
        for what in holds:
            command += [f"--hold-{what}", str(HELD_UPLOAD)]
        self.stderr: BinaryIO = log.open("ab")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(json.loads(raw))

    def _drain(self) -> None:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return

    def wait_until_holding(self, what: str) -> None:
        """Until the device holds its upload (it waits on its stdin)."""
        deadline = time.monotonic() + UPLOAD_DEADLINE
        while {"holding": what} not in self.seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                raise AssertionError(f"the device did not hold its {what}: {self.seen[-5:]}")
            try:
                self.seen.append(self.lines.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                continue

    def send(self, word: str) -> None:
        """To a device holding its upload: `go` (the request), `deliver` or `lose` (the answer)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{word}\n".encode())
        self.process.stdin.flush()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)

    def finish(self) -> int:
        """Its exit code, once it has ended by itself."""
        code = self.process.wait(timeout=UPLOAD_DEADLINE)
        self._reader.join(timeout=30)
        return code

    def acknowledged(self) -> list[str]:
        """Every payload id the platform acknowledged in a line the device printed so far."""
        self._drain()
        return [i for line in self.seen for i in line.get("acknowledged", [])]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.stderr.close()


@pytest.fixture
def platform(database_url: str, live, tmp_path: Path) -> Iterator[PlatformProcess]:
    """`userlink serve` on the test database (the `live` fixture empties its tables after)."""
    server = PlatformProcess(database_url, tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[Callable[..., DeviceProcess]]:
    started: list[DeviceProcess] = []

    def start(state_dir: Path, *holds: str) -> DeviceProcess:
        device = DeviceProcess(state_dir, tmp_path / f"device-{len(started)}.log", *holds)
        started.append(device)
        return device

    yield start
    for device in started:
        device.stop()


@pytest.fixture(scope="session")
def queue_template(live_server, tmp_path_factory) -> tuple[Path, list[str]]:
    """A payload queue (`queue.sqlite3`, the SDK's documented queue file) holding PAYLOADS
    payloads, filled once per backend through the SDK by a device of its own; their ids in
    order. Queuing is an fsync a payload, so each test copies it rather than queue its own."""
    state_dir = tmp_path_factory.mktemp("template") / "device"
    app = make_app(live_server.runtime)
    key = make_key(live_server.runtime, app.app.id)
    with httpx.Client(base_url=live_server.url, timeout=30) as api:
        code = issue_code(api, key, "template")
    with UserLink(state_dir, device=PHONE) as sdk:
        sdk.create_user(UserCreationOptions(auth_code=code, platform_url=live_server.url))
        ids = [sdk.submit_payload("trip", {"n": n}) for n in range(PAYLOADS)]
    return state_dir / QUEUE_FILE, ids


def queued_device(
    state_dir: Path, platform_url: str, code: str, template: tuple[Path, list[str]]
) -> list[str]:
    """A device whose user exists and whose queue holds the template's payloads; their ids."""
    with UserLink(state_dir, device=PHONE) as sdk:
        sdk.create_user(UserCreationOptions(auth_code=code, platform_url=platform_url))
    queue_file, ids = template
    shutil.copy2(queue_file, state_dir / QUEUE_FILE)
    assert pending(state_dir) == PAYLOADS
    return ids


def pending(state_dir: Path) -> int:
    with UserLink(state_dir) as sdk:
        return sdk.pending_payloads()


def stored(runtime, client_ids: list[str]) -> Counter[str]:
    """How many rows the payloads table holds for each of these client ids."""
    wanted = set(client_ids)
    return Counter(r["client_id"] for r in rows(runtime, payloads) if r["client_id"] in wanted)


def stored_once(runtime, client_ids: list[str]) -> bool:
    counts = stored(runtime, client_ids)
    return all(counts[i] == 1 for i in client_ids)


def stored_count(runtime, client_ids: list[str]) -> int:
    return sum(stored(runtime, client_ids).values())


def once_each(client_ids: list[str]) -> Counter[str]:
    return Counter(dict.fromkeys(client_ids, 1))


BEFORE_THE_HELD_BATCH = (HELD_UPLOAD - 1) * BATCH
WITH_THE_HELD_BATCH = HELD_UPLOAD * BATCH


def test_a_platform_killed_between_two_batches_gets_the_rest_once_restarted(
    platform, devices, customer, runtime, tmp_path, queue_template
):
    ids = queued_device(
        tmp_path / "phone", platform.url, customer.auth_code("alice"), queue_template
    )
    device = devices(tmp_path / "phone", "request")
    device.wait_until_holding("request")
    assert stored_count(runtime, ids) == BEFORE_THE_HELD_BATCH

    platform.kill()
    device.send("go")
    assert stored_once(runtime, device.acknowledged())
    platform.start()

    assert device.finish() == 0
    assert stored(runtime, ids) == once_each(ids)
    assert len(rows(runtime, payloads)) == PAYLOADS
    assert Counter(device.acknowledged()) == once_each(ids)
    assert pending(tmp_path / "phone") == 0


def test_a_platform_killed_after_storing_a_batch_whose_answer_is_lost_stores_it_once(
    platform, devices, customer, runtime, tmp_path, queue_template
):
    ids = queued_device(
        tmp_path / "phone", platform.url, customer.auth_code("alice"), queue_template
    )
    device = devices(tmp_path / "phone", "answer")
    device.wait_until_holding("answer")
    assert stored_count(runtime, ids) == WITH_THE_HELD_BATCH

    platform.kill()
    device.send("lose")
    assert stored_once(runtime, device.acknowledged())
    platform.start()

    assert device.finish() == 0
    assert stored(runtime, ids) == once_each(ids)
    assert len(rows(runtime, payloads)) == PAYLOADS
    assert Counter(device.acknowledged()) == once_each(ids)
    assert pending(tmp_path / "phone") == 0


def test_a_platform_killed_as_a_batch_arrives_stores_every_payload_once_restarted(
    platform, devices, customer, runtime, tmp_path, queue_template
):
    ids = queued_device(
        tmp_path / "phone", platform.url, customer.auth_code("alice"), queue_template
    )
    device = devices(tmp_path / "phone", "request")
    device.wait_until_holding("request")

    # A race: the batch may not have arrived, be half written, or be stored and answered.
    device.send("go")
    platform.kill()
    assert stored_once(runtime, device.acknowledged())
    assert stored_count(runtime, ids) in {BEFORE_THE_HELD_BATCH, WITH_THE_HELD_BATCH}
    platform.start()

    assert device.finish() == 0
    assert stored(runtime, ids) == once_each(ids)
    assert len(rows(runtime, payloads)) == PAYLOADS
    assert Counter(device.acknowledged()) == once_each(ids)
    assert pending(tmp_path / "phone") == 0


def test_a_device_killed_before_reading_an_answer_resends_the_batch_stored_once(
    platform, devices, customer, runtime, tmp_path, queue_template
):
    ids = queued_device(
        tmp_path / "phone", platform.url, customer.auth_code("alice"), queue_template
    )
    first = devices(tmp_path / "phone", "answer")
    first.wait_until_holding("answer")
    assert stored_count(runtime, ids) == WITH_THE_HELD_BATCH

    first.kill()
    assert stored_once(runtime, first.acknowledged())
    assert pending(tmp_path / "phone") == PAYLOADS - BEFORE_THE_HELD_BATCH
    resumed = devices(tmp_path / "phone")

    assert resumed.finish() == 0
    assert stored(runtime, ids) == once_each(ids)
    assert len(rows(runtime, payloads)) == PAYLOADS
    assert pending(tmp_path / "phone") == 0


def test_a_device_killed_as_its_batch_leaves_resumes_and_stores_every_payload_once(
    platform, devices, customer, runtime, tmp_path, queue_template
):
    ids = queued_device(
        tmp_path / "phone", platform.url, customer.auth_code("alice"), queue_template
    )
    first = devices(tmp_path / "phone", "request")
    first.wait_until_holding("request")

    # A race: the batch may not have left, be on its way, or be stored with the device dead
    # before, while or after it deleted those payloads from its queue.
    first.send("go")
    first.kill()
    assert stored_once(runtime, first.acknowledged())
    assert pending(tmp_path / "phone") in {
        PAYLOADS - n for n in (BEFORE_THE_HELD_BATCH, WITH_THE_HELD_BATCH)
    }
    resumed = devices(tmp_path / "phone")

    assert resumed.finish() == 0
    assert stored(runtime, ids) == once_each(ids)
    assert len(rows(runtime, payloads)) == PAYLOADS
    assert pending(tmp_path / "phone") == 0
