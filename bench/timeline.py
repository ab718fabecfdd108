"""Reading a large timeline page by page, from random cursors across the whole range.

Data, inserted straight into `payloads` (not through the routes: a million uploads would take
longer than the measurement), after the users and installs are made through the real routes:
- the measured user: `--timeline-rows` processed payloads (default 100,000; the recorded runs use
  1,000,000) from its phone, the active install;
- the same user's tablet (inactive, phone preferred): one payload in ten of the stream, stored
  `processed = false`, so the index has to skip them;
- four other users of the same app, each with a phone: another one in ten, interleaved in time
  and in id with the measured user's rows.
The stream is in time order (ids ascending with `occurred_at`, as uploads would store them) and
two consecutive rows share each second, so pages also break ties on the id. Bodies are ~200
bytes, stored as the server would store them. PostgreSQL: COPY through psycopg, then VACUUM
ANALYZE (what autovacuum would do after such a load). SQLite: sqlite3 executemany of values made
by SQLAlchemy's own bind processors, 100,000 rows per transaction, `synchronous=OFF` and a
256 MiB page cache on the loading connection; no ANALYZE (nothing runs it on its own).

Rows, in this order, on one server process:
1. `GET /v2/users/{id}` (same API key, a user and its installs): the route without the page.
2. `GET /v2/users/{id}/timeline?limit=100&cursor=…`: each request a cursor at a uniformly random
   payload of the user, encoded like `userlink.payloads.rules.encode_cursor` (urlsafe base64 of
   `<iso occurred_at>|<row id>`).
3. `direct service.timeline`: the same pages through the service on one held connection of the
   platform's engine, no HTTP, no authentication, no JSON: the baseline of every ratio.

Then the plan of the page query, taken from what the repository itself sends: EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite, and the query's time at three positions.
"""

from __future__ import annotations

import json
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, event, func, insert, select, text

from bench.direct import measure_direct
from bench.load import Plan
from bench.payload_ingest import body
from bench.scenario import Context, ScenarioResult
from userlink.models import payloads
from userlink.payloads import rules, service
from userlink.payloads.repository import PayloadRepository
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, issue_code, redeem, tablet

NAME = "timeline"
DESCRIPTION = "GET /v2/users/{id}/timeline?limit=100 from random cursors over a large timeline"

LIMIT = 100
OTHER_USERS = 4
# Of every 10 rows of the stream: 8 the measured user's phone, 1 its tablet, 1 another user's.
PATTERN = 10
MEASURED_PER_PATTERN = 8
TABLET_SLOT = 8
CHUNK = 100_000
START = datetime(2025, 1, 1, tzinfo=UTC)
CURSORS = 20_000
DIRECT = "direct service.timeline"


@dataclass
class Timeline:
    """The users, and where the measured user's rows are: its r-th row (0-based, oldest first) is
    stream row j = (r // 8) * 10 + r % 8, with id `first_id + j`, at START + j // 2 seconds."""

    app_id: uuid.UUID
    key: str
    user_id: uuid.UUID
    phone_id: uuid.UUID
    tablet_id: uuid.UUID
    others: list[tuple[uuid.UUID, uuid.UUID]]  # (user id, phone install id)
    rows: int  # the measured user's
    first_id: int = 0

    @property
    def stream_rows(self) -> int:
        return self.stream_index(self.rows - 1) + 1

    @staticmethod
    def stream_index(r: int) -> int:
        return (r // MEASURED_PER_PATTERN) * PATTERN + r % MEASURED_PER_PATTERN

    def cursor_after(self, r: int) -> str:
        """The cursor a page ending at the measured user's r-th row would return."""
        j = self.stream_index(r)
        return rules.encode_cursor(START + timedelta(seconds=j // 2), self.first_id + j)

    def owner(self, j: int) -> tuple[uuid.UUID, uuid.UUID, bool]:
        """(user, install, processed) of stream row j."""
        slot = j % PATTERN
        if slot < MEASURED_PER_PATTERN:
            return self.user_id, self.phone_id, True
        if slot == TABLET_SLOT:
            return self.user_id, self.tablet_id, False
        user, install = self.others[(j // PATTERN) % len(self.others)]
        return user, install, True


def make_users(ctx: Context, rows: int) -> Timeline:
    app = make_app(ctx.platform, name="bench timeline app").app
    key = make_key(ctx.platform, app.id, scopes=("user.link", "user.read"), name="bench timeline")
    run_id = secrets.token_hex(4)
    with httpx.Client(base_url=ctx.url, timeout=30) as api:
        external_id = f"timeline-{run_id}"
        phone = redeem(api, issue_code(api, key, external_id))
        second = redeem(api, issue_code(api, key, external_id), device=tablet())
        assert second["restored"], second
        assert second["user_id"] == phone["user_id"], second
        assert not second["configuration"]["is_remote_enabled"], second  # phone preferred
        others = []
        for i in range(OTHER_USERS):
            other = redeem(api, issue_code(api, key, f"timeline-{run_id}-other-{i}"))
            others.append((uuid.UUID(other["user_id"]), uuid.UUID(other["install_id"])))
    return Timeline(
        app_id=app.id,
        key=key,
        user_id=uuid.UUID(phone["user_id"]),
        phone_id=uuid.UUID(phone["install_id"]),
        tablet_id=uuid.UUID(second["install_id"]),
        others=others,
        rows=rows,
    )


COLUMNS = (
    "id",
    "app_id",
    "user_id",
    "install_id",
    "client_id",
    "type",
    "occurred_at",
    "received_at",
    "body",
    "processed",
)


def _body_parts() -> tuple[str, str, str]:
    sample = json.dumps(body(0))
    head, _, rest = sample.partition("trip-0000000000")
    middle, _, tail = rest.partition("12873")
    return head + "trip-", middle, tail


_HEAD, _MIDDLE, _TAIL = _body_parts()


def body_text(n: int) -> str:
    """`json.dumps(body(n))`, what SQLAlchemy's JSON type would store, without the dumping."""
    return f"{_HEAD}{n:010d}{_MIDDLE}{12873 + n % 1000}{_TAIL}"


assert body_text(123_456) == json.dumps(body(123_456))


def stream(
    timeline: Timeline, start: int, stop: int, convert: Callable[[str, Any], Any] | None = None
) -> Iterator[tuple[Any, ...]]:
    """Rows of `COLUMNS` in the stream's order, the body as JSON text. `convert(column, value)`
    turns the few distinct uuids, datetimes and booleans into what the driver is sent."""

    def same(_column: str, value: Any) -> Any:
        return value

    convert = convert or same
    owners = [
        tuple(
            convert(c, v)
            for c, v in zip(("user_id", "install_id", "processed"), owner, strict=True)
        )
        for owner in (timeline.owner(j) for j in range(PATTERN * len(timeline.others)))
    ]
    app_id = convert("app_id", timeline.app_id)
    moments: dict[int, tuple[Any, Any]] = {}
    for j in range(start, stop):
        user, install, processed = owners[j % len(owners)]
        second = j // 2
        moment = moments.get(second)
        if moment is None:
            moments.clear()
            occurred_at = START + timedelta(seconds=second)
            moment = moments[second] = (
                convert("occurred_at", occurred_at),
                convert("received_at", occurred_at + timedelta(seconds=30)),
            )
        yield (
            timeline.first_id + j,
            app_id,
            user,
            install,
            str(uuid.uuid4()),
            "trip",
            moment[0],
            moment[1],
            body_text(j),
            processed,
        )


def build(ctx: Context, timeline: Timeline) -> tuple[float, float]:
    """Insert the stream: the seconds the inserts took, and then VACUUM ANALYZE (PostgreSQL)."""
    engine = ctx.platform.database.engine
    began = time.perf_counter()
    with engine.connect() as connection:
        with connection.begin():
            highest = connection.execute(select(func.max(payloads.c.id))).scalar()
        timeline.first_id = (highest or 0) + 1
    total = timeline.stream_rows
    if ctx.backend != "postgresql":
        _executemany_sqlite(engine, timeline, total, began, ctx.progress)
        return time.perf_counter() - began, 0.0
    _copy_postgres(engine, timeline, total, began, ctx.progress)
    with engine.connect() as connection:
        with connection.begin():
            # The ids were given explicitly; later inserts must not collide with them.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('payloads', 'id'), "
                    "(SELECT max(id) FROM payloads))"
                )
            )
        inserted = time.perf_counter()
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("VACUUM (ANALYZE) payloads")
    return inserted - began, time.perf_counter() - inserted


def _progress(done: int, total: int, began: float, show: bool) -> None:
    if show:
        print(f"    {done:,}/{total:,} rows, {time.perf_counter() - began:.0f} s", flush=True)


def _copy_postgres(
    engine: Engine, timeline: Timeline, total: int, began: float, show: bool
) -> None:
    """COPY, text format: psycopg writes uuids, datetimes and booleans; the body is JSON text."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        for start in range(0, total, CHUNK * 5):
            stop = min(total, start + CHUNK * 5)
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY payloads ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for row in stream(timeline, start, stop):
                    copy.write_row(row)
            driver.commit()
            _progress(stop, total, began, show)
    finally:
        raw.close()


def _executemany_sqlite(
    engine: Engine, timeline: Timeline, total: int, began: float, show: bool
) -> None:
    """sqlite3's executemany, values converted by SQLAlchemy's own bind processors for this
    dialect (uuid as hex, datetime text, boolean 0/1), so the rows read back as the server's."""
    dialect = engine.dialect
    processors = {}
    for name in COLUMNS:
        column_type = payloads.c[name].type
        processors[name] = column_type.dialect_impl(dialect).bind_processor(dialect)

    def convert(column: str, value: Any) -> Any:
        processor = processors[column]
        return processor(value) if processor else value

    statement = str(insert(payloads).compile(dialect=dialect, column_keys=list(COLUMNS)))
    with engine.connect() as connection:
        dbapi = connection.connection.dbapi_connection
        dbapi.execute("PRAGMA synchronous=OFF")
        dbapi.execute("PRAGMA cache_size=-262144")
        for start in range(0, total, CHUNK):
            stop = min(total, start + CHUNK)
            with connection.begin():  # BEGIN IMMEDIATE, like every write of the platform
                connection.connection.dbapi_connection.cursor().executemany(
                    statement, stream(timeline, start, stop, convert)
                )
            _progress(stop, total, began, show)


def run(ctx: Context) -> ScenarioResult:
    timeline = make_users(ctx, ctx.timeline_rows)
    print(f"  {ctx.backend}: inserting {timeline.stream_rows:,} payloads ...", flush=True)
    inserting, vacuuming = build(ctx, timeline)
    check(ctx, timeline)

    chosen = random.Random(1)
    positions = [chosen.randrange(timeline.rows) for _ in range(CURSORS)]
    cursors = [timeline.cursor_after(r) for r in positions]
    base = f"/v2/users/{timeline.user_id}"
    headers = (("accept", "application/json"), *bearer(timeline.key).items())
    rows = [
        ctx.measure(Plan("GET /v2/users/{id}", base, method="GET", headers=headers)),
        ctx.measure(
            Plan(
                "GET /v2/users/{id}/timeline",
                base + "/timeline",
                method="GET",
                headers=headers,
                paths=tuple(f"{base}/timeline?limit={LIMIT}&cursor={c}" for c in cursors),
                note=f"limit={LIMIT}, random cursors",
            )
        ),
    ]

    def page(connection: Connection, n: int) -> None:
        with connection.begin():
            work = ctx.platform.work(connection)
            service.timeline(work, timeline.app_id, timeline.user_id, cursors[n % CURSORS], LIMIT)

    rows.append(
        measure_direct(
            ctx.platform.database.engine,
            DIRECT,
            page,
            ctx.options,
            note="same cursors, one connection",
            progress=ctx.backend if ctx.progress else None,
        )
    )
    total = timeline.stream_rows
    tablet_rows = len(range(TABLET_SLOT, total, PATTERN))
    how = "COPY" if ctx.backend == "postgresql" else "executemany"
    built = f"{how} {inserting:.0f} s ({total / inserting:,.0f} rows/s)"
    if ctx.backend == "postgresql":
        built += f", then VACUUM ANALYZE {vacuuming:.0f} s"
    others = total - timeline.rows - tablet_rows
    notes = [
        f"Stored for this scenario: {total:,} payloads ({timeline.rows:,} of the measured user, "
        f"processed; {tablet_rows:,} of its inactive tablet; {others:,} of {OTHER_USERS} other "
        f"users): {built}. {count_rows(ctx):,} rows in `payloads` "
        "(other scenarios' included) during the rows. Cursors: "
        f"{CURSORS:,} random positions, each request the next.",
        *explain(ctx, timeline),
    ]
    return ScenarioResult(
        NAME, DESCRIPTION, rows, baseline=DIRECT, baseline_name="direct", notes=notes
    )


def check(ctx: Context, timeline: Timeline) -> None:
    """The first page, the page after a known cursor and the last page, through the route."""
    headers = bearer(timeline.key)
    path = f"/v2/users/{timeline.user_id}/timeline"
    with httpx.Client(base_url=ctx.url, timeout=60, headers=headers) as api:
        first = api.get(path, params={"limit": LIMIT})
        assert first.status_code == 200, first.text
        assert len(first.json()["items"]) == min(LIMIT, timeline.rows)
        if timeline.rows > LIMIT:  # the server's cursor is the one this module makes
            assert first.json()["next_cursor"] == timeline.cursor_after(LIMIT - 1), first.json()
        after = api.get(path, params={"limit": LIMIT, "cursor": timeline.cursor_after(0)})
        assert after.status_code == 200, after.text
        items = after.json()["items"]
        assert len(items) == min(LIMIT, timeline.rows - 1)
        # Page 2 starts where page 1's first entry left off: the measured user's 2nd row.
        assert items[0] == first.json()["items"][1], (items[0], first.json()["items"][1])
        last = api.get(
            path, params={"limit": LIMIT, "cursor": timeline.cursor_after(timeline.rows - 1)}
        )
        assert last.status_code == 200, last.text
        assert last.json() == {"items": [], "next_cursor": None}, last.json()


def count_rows(ctx: Context) -> int:
    with ctx.platform.database.transaction() as connection:
        return int(connection.execute(select(func.count()).select_from(payloads)).scalar_one())


def page_query(connection: Connection, timeline: Timeline, r: int) -> tuple[str, Any]:
    """The SQL and parameters the repository sends for the page after row r."""
    sent: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", grab)
    try:
        after = rules.decode_cursor(timeline.cursor_after(r))
        PayloadRepository(connection).timeline_page(timeline.user_id, after, LIMIT + 1)
    finally:
        event.remove(connection, "before_cursor_execute", grab)
    return sent[-1]


def explain(ctx: Context, timeline: Timeline) -> list[str]:
    """The page query after the measured user's payload at 1 %, 50 % and 99 % of its range: its
    plan and its time from the bench process (median of 5, rows fetched); the whole plan at 50 %."""
    postgres = ctx.backend == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    summaries = []
    middle: list[str] = []
    with ctx.platform.database.engine.connect() as connection:
        for share in (0.01, 0.5, 0.99):
            r = min(timeline.rows - 1, int(timeline.rows * share))
            with connection.begin():
                statement, parameters = page_query(connection, timeline, r)
                found = connection.exec_driver_sql(prefix + statement, parameters).all()
                times = []
                for _ in range(5):
                    began = time.perf_counter()
                    connection.exec_driver_sql(statement, parameters).all()
                    times.append((time.perf_counter() - began) * 1000)
            if postgres:
                plan = [str(row[0]) for row in found]
                scans = [line.strip().split("  (")[0] for line in plan if " Scan " in line]
                facts = [
                    line.strip()
                    for line in plan
                    if "Rows Removed by Filter" in line or line.startswith("Execution Time")
                ]
                shown = "; ".join(s.removeprefix("->  ") for s in scans + facts)
            else:
                plan = [f"{row[0]}|{row[1]}|{row[3]}" for row in found]  # id|parent|detail
                shown = "; ".join(str(row[3]) for row in found)
            summaries.append(f"- {share:.0%}: {statistics.median(times):.1f} ms; {shown}")
            if share == 0.5:
                middle = plan
    return [
        f"The page query (the repository's own SQL, limit {LIMIT + 1}) after the measured "
        "user's payload at 1 %, 50 % and 99 % of its range: median time of 5 from the bench "
        f"process, rows fetched, then {prefix.strip()}:",
        "",
        *summaries,
        "",
        f"{prefix.strip()} at 50 %:",
        "",
        "```",
        *middle,
        "```",
    ]
