"""What a use case needs besides its arguments: the unit of work's connection and the platform's
collaborators. Built per request (or CLI command) at the boundary; services never build it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from userlink.audit.service import AuditLog
from userlink.config import Settings
from userlink.kit.clock import Clock
from userlink.kit.secrets import SecretHasher


@dataclass
class Work:
    connection: Connection
    settings: Settings
    clock: Clock
    hasher: SecretHasher
    request_ref: str | None = None
    audit: AuditLog = field(init=False)

    def __post_init__(self) -> None:
        self.audit = AuditLog(self.connection, self.clock, self.request_ref)
