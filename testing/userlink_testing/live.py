"""A real runtime server on a real socket, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from userlink.config import Environment, Settings
from userlink.http.app import create_app_for
from userlink.runtime import Runtime, build_runtime
from userlink_testing.clock import ShiftableClock

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


async def get_in_process(app: FastAPI, path: str) -> httpx.Response:
    """GET `path` from an app without a socket (an app the test builds for itself)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://in-process") as client:
        return await client.get(path)


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1 (for a server started in another process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "rate_limit_enabled": False,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@dataclass
class LiveServer:
    runtime: Runtime
    clock: ShiftableClock
    url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.runtime.database.dispose()


def serve_app(
    app: FastAPI, runtime: Runtime, clock: ShiftableClock, *, lifespan: bool = False
) -> LiveServer:
    """`app` on a socket of its own; `lifespan`: with its start-up and shut-down, as `userlink
    serve` runs it (the shared test server runs without, its runtime built by the tests)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on" if lifespan else "off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return LiveServer(runtime, clock, f"http://127.0.0.1:{port}", server, thread)


def start_live_server(settings: Settings) -> LiveServer:
    clock = ShiftableClock()
    runtime = build_runtime(settings, clock)
    return serve_app(create_app_for(runtime), runtime, clock)
