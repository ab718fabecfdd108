"""What the bench's uvicorn runs: `uvicorn --factory bench.app:create_app_from_environment`.

The platform's own app, built by `userlink.asgi.create_app_from_environment` from the same
`USERLINK_*` environment, plus two baseline routes that exist only here:

- `POST /bench/bare`: parses a small JSON body and does one INSERT into a scratch table in one
  transaction through the platform's own `Database` (same engine, pool, SQLite pragmas and
  `BEGIN IMMEDIATE`). The denominator of every ratio: a request that writes once.
- `POST /bench/noop`: parses the body and answers; the ceiling of the HTTP stack, no database.

Both are plain `def` routes like the platform's, so they run in the same threadpool, behind the
same middleware.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, insert

from userlink.asgi import create_app_from_environment as create_platform_app

scratch_metadata = MetaData()
scratch = Table(
    "bench_scratch",
    scratch_metadata,
    Column("id", Uuid(as_uuid=True), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", String(256), nullable=True),
)


def create_app_from_environment() -> Any:
    app = create_platform_app()
    platform = app.state.platform

    @app.post("/bench/noop", include_in_schema=False)
    def noop(body: dict[str, Any]) -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bench/bare", include_in_schema=False)
    def bare(body: dict[str, Any]) -> dict[str, str]:
        with platform.database.transaction() as connection:
            connection.execute(
                insert(scratch).values(
                    id=uuid.uuid4(),
                    created_at=platform.clock.now(),
                    note=str(body.get("external_id", ""))[:256],
                )
            )
        return {"status": "ok"}

    return app
