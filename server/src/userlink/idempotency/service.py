"""Run a server-to-server write once per (app, Idempotency-Key), and replay its answer.

The key is claimed in the request's own transaction (docs/decisions.md, "Idempotency keys"):
the claim, the write it protects and the answer stored for replays commit together or not at
all, so a crash or a refusal never leaves a key stuck "in progress"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from userlink.errors import UserlinkError
from userlink.idempotency import rules
from userlink.idempotency.errors import IdempotencyKeyInProgress, IdempotencyKeyReused
from userlink.idempotency.repository import IdempotencyKeyRepository
from userlink.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: str
    replayed: bool = False


def once(
    work: UnitOfWork,
    *,
    app_id: uuid.UUID,
    key: str,
    request_hash: str,
    execute: Callable[[], Answer],
) -> Answer:
    """`execute()`'s answer, stored under the key; or, for a key stored already, the stored
    answer (the same request), `IdempotencyKeyReused` (another request) or
    `IdempotencyKeyInProgress` (its first request has not finished)."""
    repository = IdempotencyKeyRepository(work.connection)
    if not repository.try_lock(app_id, key):
        raise IdempotencyKeyInProgress()
    now = work.clock.now()
    claimed = repository.claim(
        app_id=app_id, key=key, request_hash=request_hash, now=now, expires_at=rules.expiry(now)
    )
    if not claimed:
        return _answer_stored(repository, app_id, key, request_hash)
    # Opportunistic sweep, on keyed requests only: the app's expired keys (usually none).
    repository.sweep(app_id, now)
    try:
        answer = execute()
    except UserlinkError as error:
        if error.keep_changes:
            # The refusal commits its record: the key must not commit with it, unanswered.
            repository.release(app_id, key)
        raise
    repository.complete(app_id, key, answer.status_code, answer.body)
    return answer


def _answer_stored(
    repository: IdempotencyKeyRepository, app_id: uuid.UUID, key: str, request_hash: str
) -> Answer:
    row = repository.find(app_id, key)
    if row is None:  # swept between the two statements: as if still running, retry
        raise IdempotencyKeyInProgress()
    stored = rules.StoredKey(request_hash=row["request_hash"], status_code=row["status_code"])
    outcome = rules.key_outcome(stored, request_hash)
    if outcome is rules.KeyOutcome.REUSED:
        raise IdempotencyKeyReused()
    if outcome is rules.KeyOutcome.IN_PROGRESS:
        raise IdempotencyKeyInProgress()
    return Answer(
        status_code=int(row["status_code"]), body=row["response_body"] or "", replayed=True
    )
