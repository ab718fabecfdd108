"""What a use case needs besides its arguments: one transaction's connection, the process's
collaborators, and the ledger its identity events go to. Built by the boundary that commits (an
HTTP request, a CLI command: `Runtime.unit_of_work`); services never build one."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from userlink.audit.service import AuditLog
from userlink.config import Settings
from userlink.db import WritesAtEnd
from userlink.kit.clock import Clock
from userlink.kit.ratelimit import RateLimiter
from userlink.kit.secrets import SecretHasher
from userlink.kit.ttl_cache import TtlCache


@dataclass
class UnitOfWork:
    connection: Connection
    settings: Settings
    clock: Clock
    hasher: SecretHasher
    # Records this process read lately (Runtime.lookups).
    lookups: TtlCache
    # The process's rate limiter, for limits a use case can only check once it knows what the
    # request is about (restores per external id); per-address limits stay with the runner.
    rate_limiter: RateLimiter
    request_ref: str | None = None
    audit: AuditLog = field(init=False)
    # Rows nothing reads back before the unit of work ends: inserted then, in one statement on
    # PostgreSQL (`Runtime` flushes them before the commit).
    at_end: WritesAtEnd = field(init=False)

    def __post_init__(self) -> None:
        self.at_end = WritesAtEnd(self.connection)
        self.audit = AuditLog(self.connection, self.clock, self.request_ref, self.at_end)
