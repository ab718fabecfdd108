"""Webhooks end to end over real processes and sockets: the platform (`userlink serve`), the
delivery worker (`userlink worker`) and the reference customer backend receiving and verifying
the signed messages. Killing the worker mid-delivery, or the platform between the commit and
the delivery, loses no message (at least once: receivers dedupe on `webhook-id`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
import uvicorn

from customer_backend import create_app as create_customer_backend
from customer_backend.backend import Backend
from customer_backend.config import Settings as CustomerSettings
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, issue_code, redeem
from userlink_testing.live import TEST_SECRET, LiveServer, free_port
from userlink_testing.receiver import Answer, Receiver

BIN = Path(sys.executable).parent
DEADLINE = 60.0


def wait_for(condition: Callable[[], bool], *, what: str, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {seconds:.0f} s for {what}")
        time.sleep(0.05)


class Process:
    """A `userlink` command as an operator starts it; `kill()` is SIGKILL to its group."""

    def __init__(self, args: list[str], environment: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log: BinaryIO = log.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "userlink"), *args],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


class Platform:
    """`userlink serve` and `userlink worker` processes on the test database."""

    def __init__(
        self, database_url: str, workdir: Path, *, in_process: bool | None = False
    ) -> None:
        """`in_process`: whether `serve` delivers too; None leaves the default to the server."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.environment = {
            **os.environ,
            "USERLINK_DATABASE_URL": database_url,
            "USERLINK_ENVIRONMENT": "test",
            "USERLINK_SECRET_KEY": TEST_SECRET,
            "USERLINK_PORT": str(self.port),
            "USERLINK_RATE_LIMIT_ENABLED": "false",
            "USERLINK_WEBHOOK_ALLOW_INSECURE_TARGETS": "true",
            "USERLINK_WEBHOOK_TIMEOUT_SECONDS": "2",
            "USERLINK_WEBHOOK_POLL_SECONDS": "0.2",
        }
        if in_process is not None:
            self.environment["USERLINK_WEBHOOK_WORKER_IN_PROCESS"] = str(in_process).lower()
        self.processes: list[Process] = []

    def _start(self, *args: str) -> Process:
        process = Process(list(args), self.environment, self.workdir / f"{args[0]}.log")
        self.processes.append(process)
        return process

    def serve(self) -> Process:
        process = self._start("serve")
        wait_for(lambda: self._answers(process), what=f"userlink serve on {self.url}")
        return process

    def worker(self) -> Process:
        return self._start("worker")

    def _answers(self, process: Process) -> bool:
        if process.process.poll() is not None:
            raise AssertionError(f"userlink serve exited: {process.log_path.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture
def platform(database_url: str, live: LiveServer, tmp_path: Path) -> Iterator[Platform]:
    """Processes on the test database (the `live` fixture empties its tables after)."""
    found = Platform(database_url, tmp_path)
    yield found
    found.stop()


class CustomerBackendProcess:
    """The reference customer backend on a real socket, receiving the platform's webhooks."""

    def __init__(self, sock: socket.socket, settings: CustomerSettings) -> None:
        app = create_customer_backend(settings)
        self.backend: Backend = app.state.backend
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        wait_for(lambda: self._server.started, what="the customer backend")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def app_with_keys(live: LiveServer) -> tuple[str, str, str]:
    app_id = make_app(live.runtime).app.id
    return (
        str(app_id),
        make_key(live.runtime, app_id, scopes=("user.link",)),
        make_key(live.runtime, app_id, scopes=("webhooks.manage",)),
    )


def create_endpoint(api: httpx.Client, key: str, url: str, types: list[str]) -> dict[str, Any]:
    response = api.post(
        "/v2/webhooks", json={"url": url, "event_types": types}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def restore_on_a_new_phone(api: httpx.Client, link_key: str, external_id: str) -> str:
    """A user created on one phone, then restored on another: one `user.restored`."""
    user_id = str(redeem(api, issue_code(api, link_key, external_id))["user_id"])
    redeem(api, issue_code(api, link_key, external_id))
    return user_id


def test_a_restore_reaches_the_customer_backend_signed_and_verified(
    platform: Platform, live: LiveServer, tmp_path: Path
) -> None:
    platform.serve()
    platform.worker()
    app_id, link_key, hooks_key = app_with_keys(live)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/userlink"
    with httpx.Client(base_url=platform.url, timeout=30) as api:
        endpoint = create_endpoint(api, hooks_key, receiver_url, ["user.restored"])
        customer = CustomerBackendProcess(
            sock,
            CustomerSettings.model_validate(
                {
                    "platform_url": platform.url,
                    "app_id": app_id,
                    "api_key": link_key,
                    "database_url": f"sqlite:///{tmp_path / 'customer.db'}",
                    "attestation": "development",
                    "webhook_secret": endpoint["secret"],
                }
            ),
        )
        try:
            user_id = restore_on_a_new_phone(api, link_key, "alice")

            wait_for(lambda: bool(customer.backend.webhooks.received()), what="the webhook")
            [(message_id, event_type)] = customer.backend.webhooks.received()
            assert event_type == "user.restored"
            listed = api.get(
                f"/v2/webhooks/{endpoint['id']}/messages", headers=bearer(hooks_key)
            ).json()["messages"]
            assert [(m["id"], m["status"]) for m in listed] == [(message_id, "delivered")]
            assert listed[0]["payload"]["data"]["user_id"] == user_id
        finally:
            customer.stop()


def test_the_server_delivers_in_process_on_sqlite(
    backend: str, database_url: str, live: LiveServer, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the in-process worker is the embedded SQLite default")
    platform = Platform(database_url, tmp_path, in_process=None)
    receiver = Receiver()
    try:
        platform.serve()
        _, link_key, hooks_key = app_with_keys(live)
        with httpx.Client(base_url=platform.url, timeout=30) as api:
            create_endpoint(api, hooks_key, receiver.url, ["user.restored"])
            restore_on_a_new_phone(api, link_key, "bob")

        wait_for(lambda: len(receiver.received) == 1, what="the in-process delivery")
    finally:
        platform.stop()
        receiver.stop()


def test_a_worker_killed_mid_delivery_loses_nothing(platform: Platform, live: LiveServer) -> None:
    receiver = Receiver()
    receiver.answer(Answer(200, delay=30))  # the first attempt hangs: the worker is killed then
    try:
        platform.serve()
        first = platform.worker()
        _, link_key, hooks_key = app_with_keys(live)
        with httpx.Client(base_url=platform.url, timeout=30) as api:
            create_endpoint(api, hooks_key, receiver.url, ["user.restored"])
            restore_on_a_new_phone(api, link_key, "carol")
            wait_for(lambda: len(receiver.received) == 1, what="the first attempt")

            first.kill()
            platform.worker()

            wait_for(lambda: len(receiver.received) == 2, what="the attempt after the lease")
        one, two = receiver.received
        assert one.headers["webhook-id"] == two.headers["webhook-id"]
        assert one.body == two.body
    finally:
        receiver.stop()


def test_a_platform_killed_after_the_commit_loses_nothing(
    platform: Platform, live: LiveServer
) -> None:
    receiver = Receiver()
    try:
        server = platform.serve()
        _, link_key, hooks_key = app_with_keys(live)
        with httpx.Client(base_url=platform.url, timeout=30) as api:
            create_endpoint(api, hooks_key, receiver.url, ["user.restored"])
            restore_on_a_new_phone(api, link_key, "dave")
        server.kill()  # no worker ran yet: the message waits in the outbox

        platform.worker()

        wait_for(lambda: len(receiver.received) == 1, what="the delivery after the crash")
    finally:
        receiver.stop()


def test_a_phone_displaced_by_a_restore_becomes_a_notice_at_the_customer_backend(
    platform: Platform, live: LiveServer, tmp_path: Path
) -> None:
    """The issue's loop: a restore on a new phone takes the active role from the old one; the
    platform signs `install.displaced` (old and new install, the reason) and the reference
    backend verifies it and keeps a notice for its user ("signed in on another phone")."""
    platform.serve()
    platform.worker()
    app_id, link_key, hooks_key = app_with_keys(live)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/userlink"
    with httpx.Client(base_url=platform.url, timeout=30) as api:
        endpoint = create_endpoint(api, hooks_key, receiver_url, ["install.displaced"])
        customer = CustomerBackendProcess(
            sock,
            CustomerSettings.model_validate(
                {
                    "platform_url": platform.url,
                    "app_id": app_id,
                    "api_key": link_key,
                    "database_url": f"sqlite:///{tmp_path / 'customer.db'}",
                    "attestation": "development",
                    "webhook_secret": endpoint["secret"],
                }
            ),
        )
        try:
            old_phone = redeem(api, issue_code(api, link_key, "dora"))
            new_phone = redeem(api, issue_code(api, link_key, "dora"))

            wait_for(lambda: bool(customer.backend.webhooks.received()), what="the webhook")
            [(_, event_type)] = customer.backend.webhooks.received()
            assert event_type == "install.displaced"
            [notice] = customer.backend.webhooks.notices_of(str(old_phone["user_id"]))
            assert notice.displaced_install_id == str(old_phone["install_id"])
            [message] = api.get(
                f"/v2/webhooks/{endpoint['id']}/messages", headers=bearer(hooks_key)
            ).json()["messages"]
            details = message["payload"]["data"]["details"]
            assert (details["new_install_id"], details["reason"]) == (
                str(new_phone["install_id"]),
                "newer_install",
            )
        finally:
            customer.stop()
