"""The process-wide collaborators `create_app` builds once and every request shares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from userlink.config import Settings
from userlink.db import Database, build_engine
from userlink.kit.clock import Clock
from userlink.kit.ratelimit import RateLimiter
from userlink.kit.secrets import SecretHasher
from userlink.work import Work


@dataclass
class Platform:
    settings: Settings
    database: Database
    clock: Clock
    hasher: SecretHasher
    rate_limiter: RateLimiter

    def work(self, connection: Connection, request_ref: str | None = None) -> Work:
        return Work(
            connection=connection,
            settings=self.settings,
            clock=self.clock,
            hasher=self.hasher,
            request_ref=request_ref,
        )


def build_platform(settings: Settings, clock: Clock) -> Platform:
    return Platform(
        settings=settings,
        database=Database(
            build_engine(
                settings.database_url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            ),
            max_connections=settings.database_pool_size + settings.database_max_overflow,
        ),
        clock=clock,
        hasher=SecretHasher(settings.secret_key.get_secret_value().encode("utf-8")),
        rate_limiter=RateLimiter(
            settings.rate_limit_storage_url, enabled=settings.rate_limit_enabled
        ),
    )
