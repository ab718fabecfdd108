"""Counting things per UTC day: the days ending today, and the SQL expression that says which of
them a timestamp falls in. Dialect-neutral on purpose: comparisons with bound UTC moments work
the same on SQLite (timestamps stored as text) and PostgreSQL, where a day function would depend
on the session's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case


def last_days(now: datetime, count: int) -> list[date]:
    """The `count` UTC days up to and including today, oldest first."""
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=back) for back in range(count - 1, -1, -1)]


def boundaries(days: Sequence[date]) -> list[datetime]:
    """Midnight UTC at the start of each day, and the midnight after the last: len(days) + 1."""
    starts = [datetime.combine(day, time(), tzinfo=UTC) for day in days]
    return [*starts, starts[-1] + timedelta(days=1)]


def day_index(column: Any, edges: Sequence[datetime]) -> Any:
    """Which day (0 for the first) a timestamp falls in, given the edges from `boundaries`; the
    query keeps only rows between the first edge and the last, so the last day is the rest."""
    whens = [(column < edge, index) for index, edge in enumerate(edges[1:-1])]
    return case(*whens, else_=len(edges) - 2)
