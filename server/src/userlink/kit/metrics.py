"""The platform's Prometheus metrics: the one module that imports prometheus-client.

`Metrics` is built once per process (`build_runtime`). In one process its metrics live in its
own registry (so a test process may build many). Under `userlink serve` every worker writes its
values to files in `PROMETHEUS_MULTIPROC_DIR` (set and emptied by `serve` before any worker
starts), and a scrape of any worker adds up every worker's files (`MultiProcessCollector`).

What is counted, and where (docs/operations.md#metrics):
- requests by method, route template and status, with their latency: the request middleware,
  one `observe` per request on a child looked up once per (method, route, status);
- identity events (codes issued and redeemed, users created and restored, installs activated
  and deactivated, refused replays, velocity refusals): the events each unit of work wrote,
  counted once it committed (`Runtime.unit_of_work`);
- refusals by errorCode and route (why codes were refused, say): the error handler;
- rate-limit refusals by bucket: the request runner;
- payloads stored by status (processed, held apart as not_processed, duplicate): the upload;
- database connections in use: the pool's checkout and checkin.
- the webhook outbox (pending, dead): read from the database when /metrics is scraped.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format, which every Prometheus version reads (all names here are classic).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Seconds; the platform's routes answer in a few milliseconds (docs/performance.md).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


class Metrics:
    def __init__(self) -> None:
        self.multiprocess_dir = multiprocess_directory()
        # Chosen here rather than when prometheus-client was first imported: the CLI imports it
        # before `serve` names the directory.
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        self._registry: CollectorRegistry | None = (
            None if self.multiprocess_dir else CollectorRegistry(auto_describe=True)
        )
        registry: Any = self._registry
        self._requests = Histogram(
            "userlink_http_request_duration_seconds",
            "HTTP requests by method, route template and status, and how long they took.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._identity_events = Counter(
            "userlink_identity_events",
            "Identity events committed (auth_code.issued, auth_code.redeemed, user.restored, "
            "install.activated, install.deactivated, ...).",
            ("event",),
            registry=registry,
        )
        self._refusals = Counter(
            "userlink_refusals",
            "Requests refused with an errorCode (AUTH_CODE_EXPIRED, RATE_LIMITED, ...) by route.",
            ("route", "error_code"),
            registry=registry,
        )
        self._rate_limited = Counter(
            "userlink_rate_limit_refusals",
            "Requests refused by a rate limit, by bucket.",
            ("bucket",),
            registry=registry,
        )
        self._payloads = Counter(
            "userlink_payloads",
            "Payloads uploaded, by outcome: processed, not_processed (held apart), duplicate.",
            ("status",),
            registry=registry,
        )
        self._connections_in_use = Gauge(
            "userlink_database_connections_in_use",
            "Database connections checked out of the pool (all processes).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._pool_size = Gauge(
            "userlink_database_pool_size",
            "Database connections the pools may hold (all processes).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        # Read from the database at each scrape (one statement), by the process that answers it.
        self._webhook_messages = Gauge(
            "userlink_webhook_messages",
            "Webhook messages in the outbox: pending (the backlog) and dead (given up).",
            ("status",),
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        # Children by label values: a request costs a dict lookup, not a label resolution.
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._event_children: dict[str, Any] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._requests.labels(method, route, str(status))
            self._request_children[key] = child
        child.observe(seconds)

    def count_events(self, events: Iterable[str]) -> None:
        for event in events:
            child = self._event_children.get(event)
            if child is None:
                child = self._event_children[event] = self._identity_events.labels(event)
            child.inc()

    def count_refusal(self, route: str, error_code: str) -> None:
        self._refusals.labels(route, error_code).inc()

    def count_rate_limited(self, bucket: str) -> None:
        self._rate_limited.labels(bucket).inc()

    def count_payloads(self, statuses: Iterable[str]) -> None:
        for status, count in Tally(statuses).items():
            self._payloads.labels(status).inc(count)

    def connection_checked_out(self) -> None:
        self._connections_in_use.inc()

    def connection_checked_in(self) -> None:
        self._connections_in_use.dec()

    def pool_size(self, connections: int) -> None:
        self._pool_size.set(connections)

    def webhook_backlog(self, counts: dict[str, int]) -> None:
        for status, count in counts.items():
            self._webhook_messages.labels(status).set(count)

    def exposition(self) -> bytes:
        """The Prometheus text format: this process's metrics, or every worker's."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
