"""The process-wide collaborators, built once per process (`build_runtime`) and shared by every
request and command: settings, the database, the clock, the keyed hasher, the rate limiter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, event

from userlink.config import Settings
from userlink.db import Database, Savepoint, build_engine
from userlink.errors import UserlinkError
from userlink.kit.clock import Clock
from userlink.kit.metrics import Metrics
from userlink.kit.ratelimit import RateLimiter
from userlink.kit.secrets import SecretHasher
from userlink.kit.ttl_cache import TtlCache
from userlink.unit_of_work import UnitOfWork
from userlink.webhooks import service as webhooks


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    hasher: SecretHasher
    rate_limiter: RateLimiter
    # Credential and app records this process read lately (settings.credential_cache_seconds).
    lookups: TtlCache
    metrics: Metrics

    @contextmanager
    def unit_of_work(self, request_ref: str | None = None) -> Iterator[UnitOfWork]:
        """The one commit boundary: a transaction whose identity events are written in one
        statement just before it commits (or before a refusal that keeps its record commits)."""
        work: UnitOfWork | None = None
        try:
            with (
                self.database.transaction() as connection,
                self._recorded(connection, request_ref) as work,
            ):
                yield work
        except UserlinkError as error:
            if error.keep_changes and work is not None:
                self.metrics.count_events(work.audit.written)
            raise
        if work is not None:
            self.metrics.count_events(work.audit.written)

    @contextmanager
    def unit_of_work_within(
        self, connection: Connection, request_ref: str | None = None
    ) -> Iterator[UnitOfWork]:
        """A unit of work as a savepoint of a transaction the caller holds (SQLite's grouped
        writes): committed with the others, or rolled back alone, by the same rules."""
        savepoint = Savepoint(connection)
        work: UnitOfWork | None = None
        try:
            with self._recorded(connection, request_ref) as work:
                yield work
        except UserlinkError as error:
            if error.keep_changes:
                savepoint.commit()
                if work is not None:
                    self.metrics.count_events(work.audit.written)
            else:
                savepoint.rollback()
            raise
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        # Counted at the savepoint (a group whose commit then fails stays counted: rare, and
        # its requests answer 500).
        if work is not None:
            self.metrics.count_events(work.audit.written)

    @contextmanager
    def _recorded(self, connection: Connection, request_ref: str | None) -> Iterator[UnitOfWork]:
        """A unit of work on `connection` whose identity events are written when it ends well,
        or with a refusal that keeps its record; with them, in the same transaction, the webhook
        messages of the apps that have endpoints for them (the outbox)."""
        work = UnitOfWork(
            connection=connection,
            settings=self.settings,
            clock=self.clock,
            hasher=self.hasher,
            request_ref=request_ref,
            lookups=self.lookups,
            rate_limiter=self.rate_limiter,
        )
        try:
            yield work
        except UserlinkError as error:
            if error.keep_changes:
                webhooks.enqueue(work, work.audit.flush())
                work.at_end.flush()
            raise
        webhooks.enqueue(work, work.audit.flush())
        work.at_end.flush()


def build_runtime(settings: Settings, clock: Clock) -> Runtime:
    metrics = Metrics()
    engine = build_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    database = Database(
        engine, max_connections=settings.database_pool_size + settings.database_max_overflow
    )
    metrics.pool_size(1 if settings.uses_sqlite else database.max_concurrent_transactions)
    event.listen(engine, "checkout", lambda *_: metrics.connection_checked_out())
    event.listen(engine, "checkin", lambda *_: metrics.connection_checked_in())
    return Runtime(
        settings=settings,
        database=database,
        clock=clock,
        hasher=SecretHasher(settings.secret_key.get_secret_value().encode("utf-8")),
        rate_limiter=RateLimiter(
            settings.rate_limit_storage_url, enabled=settings.rate_limit_enabled
        ),
        lookups=TtlCache(
            seconds=settings.credential_cache_seconds, max_entries=10_000, clock=clock
        ),
        metrics=metrics,
    )
