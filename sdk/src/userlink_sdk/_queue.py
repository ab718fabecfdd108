"""The payload queue: a SQLite file (`queue.sqlite3`) in the state directory.

`append` commits before it returns, so a payload survives the app being killed right after
`submit_payload()`. Rows leave the queue only when the server has acknowledged them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from ._errors import DeviceStateError

__all__ = ["QUEUE_FILE_NAME", "PayloadQueue", "QueuedPayload"]

QUEUE_FILE_NAME = "queue.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    body TEXT NOT NULL
)
"""


@dataclasses.dataclass(frozen=True)
class QueuedPayload:
    id: str
    type: str
    timestamp: str
    body: str
    """The body as serialized JSON text."""


class PayloadQueue:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / QUEUE_FILE_NAME

    def append(self, payload: QueuedPayload) -> None:
        with self._connect(create=True) as conn:
            conn.execute(
                "INSERT INTO payloads (id, type, timestamp, body) VALUES (?, ?, ?, ?)",
                (payload.id, payload.type, payload.timestamp, payload.body),
            )

    def peek(self, limit: int) -> list[QueuedPayload]:
        if not self.path.exists():
            return []
        with self._connect(create=False) as conn:
            rows = conn.execute(
                "SELECT id, type, timestamp, body FROM payloads ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [QueuedPayload(*row) for row in rows]

    def delete(self, ids: Iterable[str]) -> None:
        with self._connect(create=False) as conn:
            conn.executemany("DELETE FROM payloads WHERE id = ?", [(id_,) for id_ in ids])

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect(create=False) as conn:
            (count,) = conn.execute("SELECT count(*) FROM payloads").fetchone()
        return int(count)

    def delete_file(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    @contextlib.contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection]:
        if create and not self.path.exists():
            if not self.state_dir.is_dir():
                self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(self.state_dir, 0o700)
            # Created here so it gets mode 0600 (SQLite gives its journal the same mode).
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        try:
            conn = sqlite3.connect(self.path, timeout=30.0)
        except sqlite3.Error as exc:
            raise DeviceStateError(self.path, f"cannot be opened: {exc}") from exc
        try:
            try:
                conn.execute("PRAGMA synchronous = FULL")
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version == 0:
                    with conn:
                        conn.execute(_SCHEMA)
                        conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                elif version != _SCHEMA_VERSION:
                    raise DeviceStateError(
                        self.path,
                        f"written by queue format version {version}; this SDK reads version "
                        f"{_SCHEMA_VERSION} (reset() deletes it)",
                    )
            except sqlite3.DatabaseError as exc:
                raise DeviceStateError(self.path, f"corrupt: {exc}") from exc
            with conn:
                yield conn
        finally:
            conn.close()
