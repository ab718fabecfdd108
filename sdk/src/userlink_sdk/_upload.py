"""The payload queue's two ends: `submit` appends a payload durably, `upload` drains the queue
in batches. A row leaves the queue only once the server acknowledged it (or refused it alone)."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ._api import ApiError, SdkApi, UploadAnswer, parse_configuration
from ._device import Device
from ._effects import Steps
from ._errors import PayloadSubmissionError, PayloadSubmissionFailureReason
from ._install import Install
from ._models import UploadReport
from ._queue import PayloadQueue, QueuedPayload
from ._session import Session

__all__ = [
    "REFUSED_PAYLOAD_CODES",
    "UPLOAD_ATTEMPTS",
    "UPLOAD_BACKOFF",
    "Progress",
    "Uploader",
    "new_payload",
]

logger = logging.getLogger("userlink_sdk")

#: Attempts of one batch on a transient failure (network, 429, 5xx), and the backoff.
UPLOAD_ATTEMPTS = 5
UPLOAD_BACKOFF = 1.0
#: Server answers to a batch that point at one bad payload inside it (bisected, then dropped).
REFUSED_PAYLOAD_CODES = frozenset(
    {
        "PAYLOAD_TOO_LARGE",
        "VALIDATION_ERROR",
        "DUPLICATE_PAYLOAD_ID",
        "INVALID_PAYLOAD_BODY",
        "INVALID_TIMESTAMP",
    }
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_payload(type: str, body: Mapping[str, Any], moment: datetime) -> QueuedPayload:
    """A payload with a fresh id, its body serialized as the platform measures it."""
    if not isinstance(type, str) or not type:
        raise ValueError("the payload type must be a non-empty string")
    if not isinstance(body, Mapping):
        raise TypeError("the payload body must be a JSON object (a mapping)")
    if moment.tzinfo is None:
        raise ValueError("the payload timestamp must be timezone-aware")
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return QueuedPayload(id=str(uuid.uuid4()), type=type, timestamp=_iso(moment), body=text)


@dataclasses.dataclass
class Progress:
    """What one upload call did so far; a failure reports it too."""

    is_remote_enabled: bool = True
    sent: int = 0
    processed: int = 0
    not_processed: int = 0
    duplicates: int = 0
    rejected: int = 0

    def count(self, answer: UploadAnswer, ids: Sequence[str]) -> None:
        for payload_id in ids:
            self.sent += 1
            status = answer.results[payload_id]
            if status == "processed":
                self.processed += 1
            elif status == "not_processed":
                self.not_processed += 1
            elif status == "duplicate":
                self.duplicates += 1

    def report(self, *, remaining: int) -> UploadReport:
        return UploadReport(
            sent=self.sent,
            processed=self.processed,
            not_processed=self.not_processed,
            duplicates=self.duplicates,
            rejected=self.rejected,
            remaining=remaining,
            is_remote_enabled=self.is_remote_enabled,
        )


class Uploader:
    def __init__(
        self, api: SdkApi, device: Device, session: Session, install: Install, queue: PayloadQueue
    ) -> None:
        self._api = api
        self._device = device
        self._session = session
        self._install = install
        self._queue = queue
        self._lock = threading.Lock()  # the queue file

    def submit(self, payload: QueuedPayload) -> str:
        state = self._device.current()
        if not state.user_exists:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.NO_USER, "no user on this device"
            )
        limit = parse_configuration(state.configuration).upload.max_payload_bytes
        size = len(payload.body.encode())
        if size > limit:
            raise PayloadSubmissionError(
                PayloadSubmissionFailureReason.PAYLOAD_TOO_LARGE,
                f"the body is {size} bytes as JSON; the platform accepts at most {limit}",
            )
        with self._lock:
            self._queue.append(payload)
        return payload.id

    def pending(self) -> int:
        with self._lock:
            return self._queue.count()

    def forget(self) -> None:
        """Delete the queue file and what it held."""
        with self._lock:
            self._queue.delete_file()

    def upload(self, base: str, progress: Progress, max_batches: int | None) -> Steps[None]:
        """Send queued payloads; nothing is sent while the install is inactive."""
        configuration = parse_configuration(self._device.current().configuration)
        progress.is_remote_enabled = configuration.is_remote_enabled
        if not progress.is_remote_enabled and self.pending():
            # Inactive when last heard: ask before sending, it may be active again.
            status = yield from self._install.fetch_status(base)
            progress.is_remote_enabled = status.is_remote_enabled
        if progress.is_remote_enabled:
            progress.is_remote_enabled = yield from self._send_batches(base, progress, max_batches)

    def _send_batches(self, base: str, progress: Progress, max_batches: int | None) -> Steps[bool]:
        """Whether the install is still active after the last batch."""
        configured = max(
            1,
            min(
                parse_configuration(self._device.current().configuration).upload.max_batch_size, 100
            ),
        )
        size = configured
        batches = 0
        while max_batches is None or batches < max_batches:
            with self._lock:
                rows = self._queue.peek(size)
            if not rows:
                break
            try:
                answer = yield from self._send_batch(base, rows)
            except ApiError as exc:
                if exc.error_code == "BATCH_TOO_LARGE" and len(rows) > 1:
                    size = max(1, len(rows) // 2)
                    continue
                if exc.error_code not in REFUSED_PAYLOAD_CODES:
                    raise
                if len(rows) > 1:
                    size = max(1, len(rows) // 2)  # bisect to find the refused payload
                    continue
                logger.warning(
                    "userlink: the platform refused payload %s (%s); dropped", rows[0].id, exc
                )
                with self._lock:
                    self._queue.delete([rows[0].id])
                progress.rejected += 1
                size = configured
                continue
            batches += 1
            acknowledged = [r.id for r in rows if r.id in answer.results]
            with self._lock:
                self._queue.delete(acknowledged)
            progress.count(answer, acknowledged)
            self._device.remember_remote_enabled(answer.is_remote_enabled, None)
            if not answer.is_remote_enabled:
                return False
            if len(acknowledged) < len(rows):
                logger.warning("userlink: the platform did not acknowledge every payload sent")
                break
        return True

    def _send_batch(self, base: str, rows: Sequence[QueuedPayload]) -> Steps[UploadAnswer]:
        wire = [
            {"id": r.id, "type": r.type, "timestamp": r.timestamp, "body": json.loads(r.body)}
            for r in rows
        ]
        return (
            yield from self._session.retrying(
                lambda: self._session.authorized(base, lambda t: self._api.upload(base, t, wire)),
                attempts=UPLOAD_ATTEMPTS,
                backoff=UPLOAD_BACKOFF,
            )
        )
