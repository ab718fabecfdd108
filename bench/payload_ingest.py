"""Uploading batches of payloads, against the same rows inserted straight into the database.

Devices: one user per load connection (`--concurrency`, default 32), each user with one phone,
its active install, created through the real routes (an auth code issued with an API key, then
redeemed). Connection i always sends install i's access token, so no two connections share a
user's row lock (`ingest` takes the user's row FOR SHARE): what serialises them is the server and
the database, not the data.

Rows, in this order, on one server process:
1. `POST /sdk/v1/payloads`: batches of 100 payloads, unique ids, ~200-byte bodies; every payload
   `processed` (checked once before the row).
2. `direct INSERT executemany`: the same 100 rows per transaction, `insert(payloads)` with Core
   executemany on one held connection of the platform's engine (the SQLite pragmas and
   `BEGIN IMMEDIATE` included), no HTTP: the raw batch-insert ceiling, the baseline of every ratio.
3. `direct repository insert_new`: the server's own statement (`PayloadRepository.insert_new`:
   ON CONFLICT DO NOTHING RETURNING client_id), same rows, one connection.
4. `direct service.ingest`: everything the route does on the database (the user's row FOR SHARE,
   the install read, `insert_new`) through the service itself, one connection, no HTTP, no
   authentication and no JSON.
5. PostgreSQL only: row 2 from several threads, each with its own connection. On SQLite every
   transaction takes the one write lock (`BEGIN IMMEDIATE`), so threads only queue.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, insert

from bench.direct import measure_direct
from bench.load import Measurement, Plan
from bench.scenario import Context, ScenarioResult
from userlink.installs.service import SdkCaller
from userlink.models import payloads
from userlink.payloads import service
from userlink.payloads.repository import PayloadRepository
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, issue_code, redeem, upload

NAME = "payload-ingest"
DESCRIPTION = "POST /sdk/v1/payloads (batches of 100) against the same INSERTs made directly"

BATCH = 100
DIRECT = "direct INSERT executemany"
THREADS = 4  # PostgreSQL's threaded direct row (2 cores; more threads only queue on the GIL)


def body(n: int) -> dict[str, Any]:
    """~200 bytes of compact JSON, like a trip summary."""
    return {
        "trip_id": f"trip-{n:010d}",
        "mode": "car",
        "distance_m": 12873 + n % 1000,
        "duration_s": 1342,
        "start": {"lat": 52.520008, "lon": 13.404954, "accuracy_m": 12.5},
        "end": {"lat": 52.516275, "lon": 13.377704, "accuracy_m": 8.0},
    }


BODY_BYTES = len(json.dumps(body(0), separators=(",", ":")))


def batch_template(run_id: str) -> str:
    """One request's body; "{n}" (the load's request number) makes every id unique."""
    items = [
        {
            "id": f"{run_id}-{{n}}-{k:02d}",
            "type": "trip",
            "timestamp": f"2026-11-21T10:{k // 60:02d}:{k % 60:02d}.000Z",
            "body": body(k),
        }
        for k in range(BATCH)
    ]
    return json.dumps({"payloads": items}, separators=(",", ":"))


class Devices:
    """One user with one active phone per connection, through the real routes."""

    def __init__(self, ctx: Context, count: int) -> None:
        app = make_app(ctx.platform, name="bench ingest app").app
        self.app_id = app.id
        key = make_key(ctx.platform, app.id, name="bench ingest key")
        run_id = secrets.token_hex(4)
        self.tokens: list[str] = []
        self.callers: list[SdkCaller] = []
        with httpx.Client(base_url=ctx.url, timeout=30) as api:
            for i in range(count):
                answer = redeem(api, issue_code(api, key, f"ingest-{run_id}-{i}"))
                assert answer["configuration"]["is_remote_enabled"], answer
                self.tokens.append(answer["credentials"]["access_token"])
                self.callers.append(
                    SdkCaller(
                        install_id=uuid.UUID(answer["install_id"]),
                        app_id=app.id,
                        user_id=uuid.UUID(answer["user_id"]),
                        is_active=True,
                        inactive_reason=None,
                    )
                )

    def rows(self, prefix: str, n: int) -> list[dict[str, Any]]:
        """Batch n of a direct row, for install n (round robin): what `ingest` would insert."""
        caller = self.callers[n % len(self.callers)]
        now = datetime.now(UTC)
        return [
            {
                "app_id": caller.app_id,
                "user_id": caller.user_id,
                "install_id": caller.install_id,
                "client_id": f"{prefix}-{n}-{k:02d}",
                "type": "trip",
                "occurred_at": now - timedelta(seconds=BATCH - k),
                "received_at": now,
                "body": body(k),
                "processed": True,
            }
            for k in range(BATCH)
        ]


def run(ctx: Context) -> ScenarioResult:
    devices = Devices(ctx, ctx.options.concurrency)
    run_id = secrets.token_hex(4)
    template = batch_template(run_id)
    check(ctx, devices, template)

    rows = [
        ctx.measure(
            Plan(
                "POST /sdk/v1/payloads",
                "/sdk/v1/payloads",
                body_template=template,
                connection_headers=tuple(tuple(bearer(t).items()) for t in devices.tokens),
                note=f"{BATCH} per batch, {len(devices.tokens)} installs",
            )
        )
    ]
    engine = ctx.platform.database.engine

    def plain(prefix: str):
        def operation(connection: Connection, n: int) -> None:
            with connection.begin():
                connection.execute(insert(payloads), devices.rows(prefix, n))

        return operation

    def repository(connection: Connection, n: int) -> None:
        with connection.begin():
            inserted = PayloadRepository(connection).insert_new(devices.rows(f"r{run_id}", n))
        assert len(inserted) == BATCH

    def ingest(connection: Connection, n: int) -> None:
        caller = devices.callers[n % len(devices.callers)]
        batch = [
            service.IncomingPayload(
                client_id=row["client_id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                body=row["body"],
            )
            for row in devices.rows(f"s{run_id}", n)
        ]
        with connection.begin():
            result = service.ingest(ctx.platform.work(connection), caller, batch)
        assert all(r.status == "processed" for r in result.results)

    progress = ctx.backend if ctx.progress else None
    direct = [
        (DIRECT, plain(f"d{run_id}"), 1, "one connection"),
        ("direct repository insert_new", repository, 1, "the server's statement, one connection"),
        ("direct service.ingest", ingest, 1, "the route's database work, one connection"),
    ]
    if ctx.backend == "postgresql":
        direct.append((DIRECT, plain(f"t{run_id}"), THREADS, f"{THREADS} threads"))
    for label, operation, threads, note in direct:
        rows.append(
            measure_direct(
                engine,
                label,
                operation,
                ctx.options,
                threads=threads,
                note=note,
                progress=progress,
            )
        )

    return ScenarioResult(
        NAME,
        DESCRIPTION,
        rows,
        baseline=DIRECT,
        baseline_name="direct",
        unit=("payloads/s", BATCH),
        notes=notes(devices, rows),
    )


def check(ctx: Context, devices: Devices, template: str) -> None:
    """One batch per install before the row: all processed, and the connections warm."""
    with httpx.Client(base_url=ctx.url, timeout=30) as api:
        for i, token in enumerate(devices.tokens):
            items = json.loads(template.replace("{n}", f"check{i}"))["payloads"]
            response = upload(api, token, items)
            assert response.status_code == 200, response.text
            statuses = {r["status"] for r in response.json()["results"]}
            assert statuses == {"processed"}, statuses


def notes(devices: Devices, rows: list[Measurement]) -> list[str]:
    http, ceiling = rows[0], rows[1]
    lines = [
        f"Payload bodies are {BODY_BYTES} bytes of compact JSON; a request body is "
        f"{len(batch_template('x' * 8)) // 1024} KiB. {len(devices.tokens)} users, each with "
        "one active phone, one per load connection.",
        f"payloads/s: HTTP {http.rate * BATCH:.0f}, direct INSERT ceiling (one connection) "
        f"{ceiling.rate * BATCH:.0f}; HTTP ÷ ceiling = {http.rate / ceiling.rate:.2f}."
        if ceiling.rate
        else "The direct ceiling row measured nothing.",
    ]
    if len(rows) > 4:
        threaded = rows[4]
        lines[-1] += (
            f" With {THREADS} threads the ceiling is {threaded.rate * BATCH:.0f} "
            f"(HTTP ÷ that = {http.rate / threaded.rate:.2f})."
            if threaded.rate
            else ""
        )
    return lines
