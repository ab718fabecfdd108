"""SQL statements per request, counted in a separate short pass inside the bench process.

The platform's own ASGI app (`bench.fixtures.inprocess_app`, built from the same environment as
the server) is served by uvicorn in a thread of the bench process; a SQLAlchemy
`before_cursor_execute` listener on its engine counts what it sends, and an ASGI wrapper counts its
answers. Each scenario's own wrk script drives ~50 requests through one connection. A statement is
one cursor execution (an executemany, one); COMMIT and ROLLBACK are driver calls and are not
counted, SQLite's `BEGIN IMMEDIATE` is (PostgreSQL's BEGIN is implicit). When the engine cannot be
found any more (the server's code moved it) the counts read n/a.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import event

from bench import wrk
from bench.fixtures import inprocess_app
from bench.scenarios import Data, Scenario


@dataclass
class Counts:
    statements: int = 0
    answers: int = 0
    ok: int = 0
    # What a wrk thread sends when it stops (bench/lua/common.lua): not the scenario's request.
    ignored_path: str | None = None

    def reset(self, ignored_path: str | None) -> None:
        self.statements = self.answers = self.ok = 0
        self.ignored_path = ignored_path


def _counting(app: Any, counts: Counts) -> Callable[..., Any]:
    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == counts.ignored_path:
            await app(scope, receive, send)
            return

        async def counting_send(message: Any) -> None:
            # Counted when the answer is complete, so statements made before it are in.
            if message["type"] == "http.response.start":
                scope["bench.status"] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                counts.answers += 1
                if 200 <= scope.get("bench.status", 0) < 300:
                    counts.ok += 1
            await send(message)

        await app(scope, receive, counting_send)

    return wrapper


def _stopper(counts: Counts, requests: int) -> Callable[[], bool]:
    """True once `requests` answers came, or when none came for 3 s after the first."""
    last = {"answers": -1, "at": time.monotonic()}

    def stop() -> bool:
        now = time.monotonic()
        if counts.answers != last["answers"]:
            last.update(answers=counts.answers, at=now)
        return counts.answers >= requests or (counts.answers > 0 and now - last["at"] > 3)

    return stop


def count_statements(
    environment: dict[str, str],
    scenarios: list[Scenario],
    data: Data,
    *,
    requests: int,
    progress: Callable[[str], None],
) -> dict[str, float | None]:
    """Statements per 2xx answer, per platform scenario (None: n/a)."""
    app, engine = inprocess_app(environment)
    if engine is None:
        progress("statements per request: n/a (the app's engine was not found)")
        return {s.key: None for s in scenarios}
    counts = Counts()

    def count(*_args: Any) -> None:
        counts.statements += 1

    event.listen(engine, "before_cursor_execute", count)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        _counting(app, counts), log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    results: dict[str, float | None] = {}
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the in-process app did not start")
            time.sleep(0.01)
        for scenario in scenarios:
            counts.reset(None if scenario.key == "health" else "/health")
            # wrk calls request() once before the run to check it (bench/lua/common.lua counts
            # it as sent): one more line and one more request than the answers awaited.
            load = wrk.Load(
                scenario.script,
                url,
                duration=60,
                connections=1,
                threads=1,
                data=data.lines(scenario, requests + 2),
                cycle=scenario.cycle,
                max_requests=requests + 1,
                environment=data.environment(scenario),
            )
            result = wrk.run(load, stop_when=_stopper(counts, requests))
            time.sleep(0.05)
            if counts.ok != counts.answers or counts.ok == 0:
                raise RuntimeError(
                    f"statement count of {scenario.label}: {counts.answers - counts.ok} of "
                    f"{counts.answers} answers were not 2xx:\n{result.samples}"
                )
            results[scenario.key] = counts.statements / counts.ok
            progress(
                f"  {scenario.label}: {results[scenario.key]:.1f} statements per request "
                f"({counts.ok} requests)"
            )
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        event.remove(engine, "before_cursor_execute", count)
    return results
