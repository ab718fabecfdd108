"""Everything the bench knows about the platform's insides, in one module: its database, its
tables, its hasher, its services and its app object. When the server's code moves, this is the
file to adapt; the rest of the bench only talks HTTP to `userlink serve`.

- `prepare_database`: a fresh database per backend (a SQLite file in a temp dir; PostgreSQL's
  `userlink_bench`, dropped and created again). The schema comes from `userlink migrate`, run by
  `bench.servers` with the server's own environment.
- `Fixtures.create_tenant`: an app and its API keys, through the platform's own services.
- `Fixtures.mint_*`: what requests consume (authentication codes, installs with their tokens),
  inserted in bulk with the platform's own keyed hasher for every hash column, row for row what
  the services write (`auth_codes.service.issue`, `installs.service.register`,
  `sdk_credentials.service.issue`, `legacy_linking.register_install`) less the audit rows. Each
  kind is checked once through the real server before it is measured (`bench.scenarios`), so a
  change in the schema shows up as a failed check, not as a wrong figure.
- `Fixtures.build_timeline` / `Fixtures.seed_growth`: bulk data (a million payloads of one user; a
  million users and codes), by COPY on PostgreSQL and sqlite3 executemany on SQLite.
- `DirectBatchWriter`: the payload-upload ceiling, the same 100-row batches straight through the
  driver (psycopg COPY, sqlite3 executemany), no HTTP and no SQLAlchemy.
- `inprocess_app`: the platform's ASGI app built in the bench process, with the engine to count
  its SQL statements on.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets as stdlib_secrets
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bench.reference_apps import REFERENCE_TABLE
from userlink.config import Settings
from userlink.db import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES
from userlink.kit import secrets
from userlink.kit.secrets import SecretHasher
from userlink.models import auth_codes, installs, payloads, sdk_tokens, users

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_ENVS = ("USERLINK_BENCH_POSTGRES_URL", "USERLINK_TEST_POSTGRES_URL")
CHUNK = 100_000


# --- the database ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    backend: str  # sqlite | postgresql
    name: str
    url: str  # SQLAlchemy URL, what USERLINK_DATABASE_URL gets
    description: str
    sqlite_path: Path | None = None

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def libpq_url(self) -> str:
        """The same database for psycopg itself (the reference app and the direct writer)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def reference_target(self) -> str:
        """What `bench.reference_apps` connects to: a conninfo, or the SQLite file."""
        return self.libpq_url if self.sqlite_path is None else str(self.sqlite_path)


def postgres_server_url() -> str:
    for name in POSTGRES_ENVS:
        value = os.environ.get(name)
        if value:
            return value
    return DEFAULT_POSTGRES_URL


def postgres_reachable(server_url: str) -> str | None:
    """None when the server answers, else why not."""
    engine = create_engine(make_url(server_url).set(database="postgres"), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def prepare_database(backend: str, workdir: Path, *, name: str) -> Database:
    """An empty database `name` (a file `<name>.db` in `workdir` for SQLite); `userlink migrate`
    creates the schema afterwards."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        return Database(
            backend="sqlite",
            name=name,
            url=f"sqlite:///{path}",
            description=f"SQLite {sqlite3.sqlite_version} (WAL, a file in a temp dir)",
            sqlite_path=path,
        )
    server = postgres_server_url()
    url = _recreate_postgres_database(server, name)
    return Database(
        backend="postgresql",
        name=name,
        url=url,
        description=f"PostgreSQL {_postgres_version(url)} (database {name})",
    )


def _recreate_postgres_database(server_url: str, name: str) -> str:
    base = make_url(server_url)
    tests_url = os.environ.get("USERLINK_TEST_POSTGRES_URL")
    if name in ("postgres", "template0", "template1") or (
        tests_url and make_url(tests_url).database == name
    ):
        raise RuntimeError(f"refusing to drop and recreate the database {name!r}")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _postgres_version(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def server_settings(database: Database, secret_key: str) -> Settings:
    """The settings `userlink serve` reads from the bench's environment (bench.servers)."""
    return Settings.model_validate(
        {
            "environment": "production",
            "database_url": database.url,
            "secret_key": secret_key,
            "rate_limit_enabled": False,
        }
    )


def pool_size() -> tuple[int, int]:
    """The platform's default pool: (connections kept, most connections), for the reference app."""
    fields = Settings.model_fields
    size = int(fields["database_pool_size"].default)
    return size, size + int(fields["database_max_overflow"].default)


# --- what the bench makes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    app_id: uuid.UUID
    app_secret: str
    link_key: str  # scope user.link
    read_key: str  # scope user.read
    code_lifetime_seconds: int


@dataclass(frozen=True)
class Device:
    """A user with one install (a phone), and that install's credentials."""

    user_id: uuid.UUID
    install_id: uuid.UUID
    external_id: str | None
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)


LIVE = "live"
PHONE: dict[str, Any] = {
    "platform": "android",
    "os_version": "14",
    "model": "Pixel 8",
    "screen_diagonal_inches": 6.2,
    "ios_idiom": None,
    "device_class": "phone",
    "app_version": "1.0.0",
    "sdk_version": "0.1.0",
}
TABLET: dict[str, Any] = {
    **PHONE,
    "model": "Galaxy Tab S9",
    "screen_diagonal_inches": 11.0,
    "device_class": "tablet",
}
USER_COLUMNS = ("id", "app_id", "external_id", "created_at", "linked_at", "established_at")
INSTALL_COLUMNS = (
    "id",
    "app_id",
    "user_id",
    "installation_nonce_hash",
    "platform",
    "os_version",
    "model",
    "screen_diagonal_inches",
    "ios_idiom",
    "device_class",
    "app_version",
    "sdk_version",
    "created_at",
    "status",
    "is_active",
    "inactive_reason",
    "ended_at",
)
TOKEN_COLUMNS = ("id", "install_id", "kind", "token_hash", "created_at", "expires_at")
CODE_COLUMNS = ("id", "app_id", "code_hash", "external_id", "created_at", "expires_at")
PAYLOAD_COLUMNS = (
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


def payload_body(n: int) -> dict[str, Any]:
    """~200 bytes of compact JSON, like a trip summary (bench/lua/payloads.lua sends the same)."""
    return {
        "trip_id": f"trip-{n:010d}",
        "mode": "car",
        "distance_m": 12873 + n % 1000,
        "duration_s": 1342,
        "start": {"lat": 52.520008, "lon": 13.404954, "accuracy_m": 12.5},
        "end": {"lat": 52.516275, "lon": 13.377704, "accuracy_m": 8.0},
    }


def _body_parts() -> tuple[str, str, str]:
    sample = json.dumps(payload_body(0))
    head, _, rest = sample.partition("trip-0000000000")
    middle, _, tail = rest.partition("12873")
    return head + "trip-", middle, tail


_HEAD, _MIDDLE, _TAIL = _body_parts()


def payload_moment(sent: datetime, k: int, batch: int) -> datetime:
    """When payload k of a batch sent at `sent` occurred, as bench/lua/payloads.lua writes it:
    (batch - k) seconds before, in whole seconds (the upload's times, so the same rows)."""
    return sent.replace(microsecond=0) - timedelta(seconds=batch - k)


def payload_body_text(n: int) -> str:
    """`json.dumps(payload_body(n))`, what the JSON column stores, without the dumping."""
    return f"{_HEAD}{n:010d}{_MIDDLE}{12873 + n % 1000}{_TAIL}"


assert payload_body_text(123_456) == json.dumps(payload_body(123_456))


def _hex_ids(count: int) -> list[str]:
    """Random 128-bit ids as 32 hex digits (what SQLite stores for a uuid; PostgreSQL's uuid
    reads them too), from one urandom call."""
    raw = os.urandom(16 * count).hex()
    return [raw[32 * k : 32 * (k + 1)] for k in range(count)]


def _token(kind: secrets.SecretKind) -> str:
    """A well-formed token of `secrets.generate`'s format, from one urandom call."""
    alphabet = secrets.BASE62
    body = "".join(alphabet[b % 62] for b in os.urandom(secrets.RANDOM_LENGTH))
    head = f"{kind.value}_{body}"
    return head + secrets.checksum(head)


class Fixtures:
    """The bench's hand on the platform's database, with the server's own secret."""

    def __init__(self, database: Database, secret_key: str) -> None:
        self.database = database
        self.settings = server_settings(database, secret_key)
        self.hasher = SecretHasher(secret_key.encode("utf-8"))
        self.engine: Engine = create_engine(
            database.url,
            poolclass=NullPool,
            connect_args={"timeout": 60} if database.sqlite_path else {},
        )
        self._converters: dict[tuple[str, tuple[str, ...]], Callable[[tuple[Any, ...]], Any]] = {}

    def close(self) -> None:
        self.engine.dispose()

    @property
    def postgres(self) -> bool:
        return self.database.backend == "postgresql"

    # --- through the services ------------------------------------------------------------------

    def create_tenant(self, name: str) -> Tenant:
        """An app and two API keys, through `apps.service` and `api_keys.service`."""
        from userlink.api_keys import service as api_keys
        from userlink.apps import service as apps

        with self._unit_of_work() as work:
            created = apps.create_app(work, name=name)
            link = api_keys.create_key(
                work, created.app.id, name="bench link", scopes=["user.link"]
            )
            read = api_keys.create_key(
                work, created.app.id, name="bench read", scopes=["user.read"]
            )
        return Tenant(
            app_id=created.app.id,
            app_secret=created.secret,
            link_key=link.token,
            read_key=read.token,
            code_lifetime_seconds=created.app.code_lifetime_seconds,
        )

    @contextmanager
    def _unit_of_work(self) -> Iterator[Any]:
        """One committed unit of work of the platform's services, whichever shape the server's
        code has: `build_runtime(...).unit_of_work()` or `build_platform(...).work(connection)`."""
        from userlink.kit.clock import SystemClock

        clock = SystemClock()
        try:
            build_runtime: Any = importlib.import_module("userlink.runtime").build_runtime
        except ImportError:
            build_platform: Any = importlib.import_module("userlink.platform").build_platform
            platform = build_platform(self.settings, clock)
            try:
                with platform.database.transaction() as connection:
                    yield platform.work(connection)
            finally:
                platform.database.dispose()
            return
        runtime = build_runtime(self.settings, clock)
        try:
            with runtime.unit_of_work() as work:
                yield work
        finally:
            runtime.database.dispose()

    # --- minted in bulk, row for row what the services write -----------------------------------

    def mint_codes(self, tenant: Tenant, count: int, prefix: str) -> list[str]:
        """Unused codes for new external ids, as `auth_codes.service.issue` stores them."""
        now = datetime.now(UTC)
        expires_at = now + timedelta(seconds=tenant.code_lifetime_seconds)
        codes = [secrets.generate_auth_code() for _ in range(count)]
        rows = (
            (uuid.uuid4(), tenant.app_id, self.hasher.hash(code), f"{prefix}-{i}", now, expires_at)
            for i, code in enumerate(codes)
        )
        self.insert(auth_codes, CODE_COLUMNS, rows)
        return codes

    def mint_devices(
        self,
        tenant: Tenant,
        count: int,
        prefix: str,
        *,
        linked: bool = True,
        tokens: bool = True,
    ) -> list[Device]:
        """Users each with one live, active phone. `linked`: a user made by a redemption (its
        external id `<prefix>-<i>`); otherwise a provisional user of the legacy flow, registered
        with the app credentials and waiting for its link. `tokens`: an access and a refresh
        token per install, as `sdk_credentials.service.issue` stores them."""
        now = datetime.now(UTC)
        devices = [
            Device(
                user_id=uuid.uuid4(),
                install_id=uuid.uuid4(),
                external_id=f"{prefix}-{i}" if linked else None,
                access_token=_token(secrets.SecretKind.ACCESS_TOKEN) if tokens else None,
                refresh_token=_token(secrets.SecretKind.REFRESH_TOKEN) if tokens else None,
            )
            for i in range(count)
        ]
        self._insert_devices(tenant, devices, now)
        return devices

    def _insert_devices(
        self,
        tenant: Tenant,
        devices: Sequence[Device],
        now: datetime,
        *,
        device: dict[str, Any] | None = None,
        active: bool = True,
        inactive_reason: str | None = None,
        new_users: bool = True,
    ) -> None:
        if new_users:
            self.insert(
                users,
                USER_COLUMNS,
                (
                    (
                        d.user_id,
                        tenant.app_id,
                        d.external_id,
                        now,
                        now if d.external_id else None,
                        now if d.external_id else None,
                    )
                    for d in devices
                ),
            )
        facts = device or PHONE
        self.insert(
            installs,
            INSTALL_COLUMNS,
            (
                (
                    d.install_id,
                    tenant.app_id,
                    d.user_id,
                    self.hasher.hash(stdlib_secrets.token_urlsafe(24)),
                    facts["platform"],
                    facts["os_version"],
                    facts["model"],
                    facts["screen_diagonal_inches"],
                    facts["ios_idiom"],
                    facts["device_class"],
                    facts["app_version"],
                    facts["sdk_version"],
                    now,
                    LIVE,
                    active,
                    inactive_reason,
                    None,
                )
                for d in devices
            ),
        )
        access_until = now + timedelta(seconds=self.settings.access_token_lifetime_seconds)
        refresh_until = now + timedelta(seconds=self.settings.refresh_token_lifetime_seconds)
        token_rows: list[tuple[Any, ...]] = []
        for d in devices:
            if d.access_token:
                token_rows.append(
                    (
                        uuid.uuid4(),
                        d.install_id,
                        "access",
                        self.hasher.hash(d.access_token),
                        now,
                        access_until,
                    )
                )
            if d.refresh_token:
                token_rows.append(
                    (
                        uuid.uuid4(),
                        d.install_id,
                        "refresh",
                        self.hasher.hash(d.refresh_token),
                        now,
                        refresh_until,
                    )
                )
        if token_rows:
            self.insert(sdk_tokens, TOKEN_COLUMNS, token_rows)

    # --- bulk data -----------------------------------------------------------------------------

    def count(self, table: Table) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    def seed_growth(
        self, tenant: Tenant, total: int, progress: Callable[[str], None]
    ) -> tuple[int, int, float]:
        """Tops `users` and `auth_codes` up to `total` rows each: users of the measured app (linked,
        established) and, for each, a code issued a day ago that expired unused. Returns the rows
        then stored (users, codes) and the seconds it took."""
        began = time.perf_counter()
        need_users = max(0, total - self.count(users))
        need_codes = max(0, total - self.count(auth_codes))
        if need_users or need_codes:
            progress(f"seeding {need_users:,} users and {need_codes:,} codes (to {total:,} each)")
            run = stdlib_secrets.token_hex(3)
            # The few distinct values converted once (SQLite), the ids as hex text (a uuid
            # column reads them on both backends): a million rows in seconds, not minutes.
            value = self._value_converter(users)
            app_id = value("app_id", tenant.app_id)
            moment = datetime.now(UTC) - timedelta(days=1)
            then = value("created_at", moment)
            expired = value("created_at", moment + timedelta(seconds=tenant.code_lifetime_seconds))
            for first in range(0, max(need_users, need_codes), CHUNK):
                chunk = range(first, min(first + CHUNK, need_users))
                ids = _hex_ids(len(chunk))
                self.insert(
                    users,
                    USER_COLUMNS,
                    (
                        (ids[k], app_id, f"g{run}-{i}", then, then, then)
                        for k, i in enumerate(chunk)
                    ),
                    converted=True,
                )
                chunk = range(first, min(first + CHUNK, need_codes))
                ids = _hex_ids(len(chunk))
                self.insert(
                    auth_codes,
                    CODE_COLUMNS,
                    (
                        (
                            ids[k],
                            app_id,
                            self.hasher.hash(f"growth-{run}-{i}"),
                            f"g{run}-{i}",
                            then,
                            expired,
                        )
                        for k, i in enumerate(chunk)
                    ),
                    converted=True,
                )
                done = min(max(need_users, need_codes), first + CHUNK)
                if max(need_users, need_codes) > CHUNK:
                    progress(f"  {done:,} rows each, {time.perf_counter() - began:.0f} s")
            self.analyze([users, auth_codes], need_users + need_codes)
        return self.count(users), self.count(auth_codes), time.perf_counter() - began

    def checkpoint(self) -> None:
        """Everything written so far, in the database files: PostgreSQL's `CHECKPOINT` (dirty
        buffers written out), SQLite's log copied back and emptied."""
        if self.postgres:
            with self.engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                autocommit.exec_driver_sql("CHECKPOINT")
            return
        assert self.database.sqlite_path is not None
        driver = sqlite3.connect(self.database.sqlite_path, isolation_level=None, timeout=60)
        try:
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            driver.close()

    def analyze(self, tables: Sequence[Table], rows: int) -> None:
        """After a bulk load of `rows`: what autovacuum would do, and after a large one a
        checkpoint, so that neither lands in a measurement (PostgreSQL); after a large one, the
        WAL folded into the database file (SQLite)."""
        large = rows >= CHUNK
        if self.postgres:
            with self.engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in tables:
                    autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {table.name}")
        if large:
            self.checkpoint()

    def build_timeline(
        self, tenant: Tenant, rows: int, progress: Callable[[str], None]
    ) -> Timeline:
        """The measured user (a phone, active, and a tablet, inactive) and 4 other users; then the
        stream of payloads (see `Timeline`), inserted straight into `payloads`."""
        now = datetime.now(UTC)
        prefix = f"timeline-{stdlib_secrets.token_hex(3)}"
        phone = Device(uuid.uuid4(), uuid.uuid4(), prefix)
        tablet = Device(phone.user_id, uuid.uuid4(), prefix)
        others = [Device(uuid.uuid4(), uuid.uuid4(), f"{prefix}-{i}") for i in range(OTHER_USERS)]
        self._insert_devices(tenant, [phone, *others], now)
        self._insert_devices(
            tenant,
            [tablet],
            now,
            device=TABLET,
            active=False,
            inactive_reason="PHONE_PREFERRED_OVER_TABLET",
            new_users=False,
        )
        timeline = Timeline(
            app_id=tenant.app_id,
            user_id=phone.user_id,
            phone_id=phone.install_id,
            tablet_id=tablet.install_id,
            others=[(d.user_id, d.install_id) for d in others],
            rows=rows,
        )
        with self.engine.connect() as connection:
            highest = connection.execute(select(func.max(payloads.c.id))).scalar()
        timeline.first_id = (highest or 0) + 1
        total = timeline.stream_rows
        progress(f"inserting {total:,} payloads for the timeline")
        began = time.perf_counter()
        convert = None if self.postgres else self._value_converter(payloads)
        for start in range(0, total, CHUNK):
            stop = min(total, start + CHUNK)
            self.insert(
                payloads,
                PAYLOAD_COLUMNS,
                timeline.stream(start, stop, convert),
                converted=True,
            )
            if total > CHUNK:
                progress(f"  {stop:,}/{total:,} rows, {time.perf_counter() - began:.0f} s")
        if self.postgres:
            with self.engine.begin() as connection:
                # The ids were given explicitly; later inserts must not collide with them.
                connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('payloads', 'id'), "
                        "(SELECT max(id) FROM payloads))"
                    )
                )
        self.analyze([payloads], total)
        timeline.build_seconds = time.perf_counter() - began
        return timeline

    # --- inserting -----------------------------------------------------------------------------

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Iterable[tuple[Any, ...]],
        *,
        converted: bool = False,
    ) -> int:
        """Rows of `columns`, in one transaction: COPY on PostgreSQL (psycopg adapts the Python
        values), executemany on SQLite (values made what SQLAlchemy would store: uuid hex,
        datetime text, JSON text, 0/1), unless `converted` says they already are."""
        if self.postgres:
            raw = self.engine.raw_connection()
            try:
                driver: Any = raw.driver_connection
                count = 0
                with (
                    driver.cursor() as cursor,
                    cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                driver.commit()
                return count
            finally:
                raw.close()
        if not converted:
            convert = self._row_converter(table, tuple(columns))
            rows = (convert(row) for row in rows)
        statement = str(insert(table).compile(dialect=self.engine.dialect, column_keys=columns))
        assert self.database.sqlite_path is not None
        connection = sqlite3.connect(self.database.sqlite_path, isolation_level=None, timeout=60)
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA cache_size=-262144")
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.executemany(statement, rows)
            connection.execute("COMMIT")
            return cursor.rowcount
        finally:
            connection.close()

    def _processors(self, table: Table) -> dict[str, Callable[[Any], Any] | None]:
        dialect = self.engine.dialect
        return {
            column.name: column.type.dialect_impl(dialect).bind_processor(dialect)
            for column in table.columns
        }

    def _row_converter(
        self, table: Table, columns: tuple[str, ...]
    ) -> Callable[[tuple[Any, ...]], Any]:
        key = (table.name, columns)
        if key not in self._converters:
            processors = self._processors(table)
            chosen = [processors[name] for name in columns]

            def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
                return tuple(
                    p(v) if p is not None and v is not None else v
                    for p, v in zip(chosen, row, strict=True)
                )

            self._converters[key] = convert
        return self._converters[key]

    def _value_converter(self, table: Table) -> Callable[[str, Any], Any]:
        processors = self._processors(table)

        def convert(column: str, value: Any) -> Any:
            processor = processors[column]
            return processor(value) if processor is not None and value is not None else value

        return convert

    def create_reference_table(self) -> None:
        """The table of the one-insert reference app (bench.reference_apps)."""
        id_type = "uuid" if self.postgres else "text"
        moment = "timestamptz" if self.postgres else "text"
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {REFERENCE_TABLE} (id {id_type} PRIMARY KEY, "
                f"external_id varchar(256) NOT NULL, created_at {moment} NOT NULL)"
            )

    def stored(self) -> dict[str, int]:
        return {t.name: self.count(t) for t in (users, installs, auth_codes, sdk_tokens, payloads)}


# --- the timeline ------------------------------------------------------------------------------

OTHER_USERS = 4
PATTERN = 10  # of every 10 rows of the stream: 8 the measured user's phone, 1 its tablet, 1 others'
MEASURED_PER_PATTERN = 8
TABLET_SLOT = 8
TIMELINE_START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Timeline:
    """The measured user's r-th payload (0-based, oldest first) is stream row
    j = (r // 8) * 10 + r % 8, with id `first_id + j`, at TIMELINE_START + j // 2 seconds: in time
    order, ids ascending with time, two rows per second (pages also break ties on the id). One
    row in ten is its tablet's (inactive, stored `processed = false`, which the index must skip),
    one in ten another user's, interleaved in time and id."""

    app_id: uuid.UUID
    user_id: uuid.UUID
    phone_id: uuid.UUID
    tablet_id: uuid.UUID
    others: list[tuple[uuid.UUID, uuid.UUID]]  # (user id, phone install id)
    rows: int  # the measured user's
    first_id: int = 0
    build_seconds: float = 0.0

    @property
    def stream_rows(self) -> int:
        return self.stream_index(self.rows - 1) + 1

    @staticmethod
    def stream_index(r: int) -> int:
        return (r // MEASURED_PER_PATTERN) * PATTERN + r % MEASURED_PER_PATTERN

    def cursor_after(self, r: int) -> str:
        """The cursor a page ending at the measured user's r-th row answers."""
        from userlink.payloads.rules import encode_cursor

        j = self.stream_index(r)
        return encode_cursor(TIMELINE_START + timedelta(seconds=j // 2), self.first_id + j)

    def owner(self, j: int) -> tuple[uuid.UUID, uuid.UUID, bool]:
        """(user, install, processed) of stream row j."""
        slot = j % PATTERN
        if slot < MEASURED_PER_PATTERN:
            return self.user_id, self.phone_id, True
        if slot == TABLET_SLOT:
            return self.user_id, self.tablet_id, False
        user, install = self.others[(j // PATTERN) % len(self.others)]
        return user, install, True

    def stream(
        self, start: int, stop: int, convert: Callable[[str, Any], Any] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of PAYLOAD_COLUMNS, the body as JSON text; `convert(column, value)` turns the few
        distinct uuids, datetimes and booleans into what the driver is sent (SQLite)."""

        def same(_column: str, value: Any) -> Any:
            return value

        convert = convert or same
        owners = [
            tuple(
                convert(c, v)
                for c, v in zip(("user_id", "install_id", "processed"), owner, strict=True)
            )
            for owner in (self.owner(j) for j in range(PATTERN * len(self.others)))
        ]
        app_id = convert("app_id", self.app_id)
        moments: dict[int, tuple[Any, Any]] = {}
        for j in range(start, stop):
            user, install, processed = owners[j % len(owners)]
            second = j // 2
            moment = moments.get(second)
            if moment is None:
                moments.clear()
                occurred_at = TIMELINE_START + timedelta(seconds=second)
                moment = moments[second] = (
                    convert("occurred_at", occurred_at),
                    convert("received_at", occurred_at + timedelta(seconds=30)),
                )
            yield (
                self.first_id + j,
                app_id,
                user,
                install,
                f"tl{j:011d}",  # unique per install; in order, so the load is quick
                "trip",
                moment[0],
                moment[1],
                payload_body_text(j),
                processed,
            )


# --- the direct batch-insert ceiling -----------------------------------------------------------


class DirectBatchWriter:
    """Batches of `batch` payload rows (the upload's), one transaction each, straight through the
    driver from one process: psycopg COPY on PostgreSQL, sqlite3 executemany on SQLite (WAL,
    synchronous=NORMAL, BEGIN IMMEDIATE, like the platform). No HTTP, no SQLAlchemy."""

    def __init__(
        self, fixtures: Fixtures, devices: Sequence[Device], app_id: uuid.UUID, batch: int
    ) -> None:
        self.postgres = fixtures.postgres
        self.batch = batch
        self.tag = stdlib_secrets.token_hex(3)
        self.bodies = [payload_body_text(k) for k in range(batch)]
        columns = [c for c in PAYLOAD_COLUMNS if c != "id"]
        self._driver: Any
        if self.postgres:
            import psycopg

            self._driver = psycopg.connect(fixtures.database.libpq_url)
            self._copy = f"COPY payloads ({', '.join(columns)}) FROM STDIN"
            self.owners: list[tuple[Any, ...]] = [
                (app_id, d.user_id, d.install_id) for d in devices
            ]
        else:
            assert fixtures.database.sqlite_path is not None
            self._driver = sqlite3.connect(
                fixtures.database.sqlite_path, isolation_level=None, timeout=60
            )
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "foreign_keys=ON",
                f"cache_size=-{SQLITE_CACHE_KIB}",
                f"mmap_size={SQLITE_MMAP_BYTES}",
            ):
                self._driver.execute(f"PRAGMA {pragma}")
            convert = fixtures._value_converter(payloads)
            self.owners = [
                (
                    convert("app_id", app_id),
                    convert("user_id", d.user_id),
                    convert("install_id", d.install_id),
                )
                for d in devices
            ]
            self._convert_time: Callable[[datetime], Any] = partial(convert, "occurred_at")
            self._insert = str(
                insert(payloads).compile(dialect=fixtures.engine.dialect, column_keys=columns)
            )

    def write(self, n: int) -> None:
        """Batch n, for device n (round robin)."""
        app, user, install = self.owners[n % len(self.owners)]
        now = datetime.now(UTC)
        prefix = f"d{self.tag}-{n}-"
        if self.postgres:
            with (
                self._driver.transaction(),
                self._driver.cursor() as cursor,
                cursor.copy(self._copy) as copy,
            ):
                for k in range(self.batch):
                    occurred = payload_moment(now, k, self.batch)
                    copy.write_row(
                        (app, user, install, f"{prefix}{k}", "trip", occurred, now,
                         self.bodies[k], True)
                    )  # fmt: skip
            return
        received = self._convert_time(now)
        rows = [
            (
                app,
                user,
                install,
                f"{prefix}{k}",
                "trip",
                self._convert_time(payload_moment(now, k, self.batch)),
                received,
                self.bodies[k],
                1,
            )
            for k in range(self.batch)
        ]
        self._driver.execute("BEGIN IMMEDIATE")
        self._driver.executemany(self._insert, rows)
        self._driver.execute("COMMIT")

    def close(self) -> None:
        self._driver.close()


# --- the platform's app, in the bench process (statements per request) -------------------------


def inprocess_app(environment: dict[str, str]) -> tuple[Any, Engine | None]:
    """The ASGI app `userlink serve` runs (`userlink.asgi:create_app_from_environment`), built
    here from the server's environment, and the SQLAlchemy engine its requests use (None when it
    can no longer be found: the statement counts then read n/a)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("USERLINK_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(environment)
    try:
        from userlink.asgi import create_app_from_environment

        app = create_app_from_environment()
    finally:
        for name in [k for k in os.environ if k.startswith("USERLINK_")]:
            del os.environ[name]
        os.environ.update(saved)
    return app, _find_engine(app)


def _find_engine(app: Any) -> Engine | None:
    state = getattr(getattr(app, "state", None), "_state", {})
    for value in state.values():
        engine = getattr(getattr(value, "database", None), "engine", None)
        if isinstance(engine, Engine):
            return engine
    return None
