"""The process-wide collaborators `create_app` builds once and every request shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from customer_backend.accounts.passwords import Passwords
from customer_backend.accounts.service import Accounts
from customer_backend.attestation.service import Attestation
from customer_backend.attestation.verifiers import (
    AttestationVerifier,
    DevelopmentVerifier,
    JwsAttestationVerifier,
)
from customer_backend.clock import Clock, SystemClock
from customer_backend.config import AttestationMode, Settings
from customer_backend.db import Database, build_engine
from customer_backend.linking.service import Linking
from customer_backend.ratelimit import RateLimiter
from customer_backend.webhooks.service import Webhooks
from userlink_backend import PlatformClient


@dataclass(frozen=True)
class Backend:
    settings: Settings
    database: Database
    rate_limiter: RateLimiter
    accounts: Accounts
    attestation: Attestation
    linking: Linking
    webhooks: Webhooks

    def start(self) -> None:
        self.database.create_tables()

    def close(self) -> None:
        self.linking.platform.close()
        self.database.dispose()


def build_verifier(settings: Settings, clock: Clock) -> AttestationVerifier:
    if settings.attestation is AttestationMode.DEVELOPMENT:
        return DevelopmentVerifier()
    # The settings refuse `jws` without these two.
    assert settings.attestation_public_key_file is not None
    assert settings.package_name is not None
    return JwsAttestationVerifier.from_file(
        settings.attestation_public_key_file,
        package_name=settings.package_name,
        clock=clock,
        max_age=timedelta(seconds=settings.attestation_max_age_seconds),
    )


def build_backend(
    settings: Settings,
    *,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    platform_transport: httpx.BaseTransport | None = None,
) -> Backend:
    clock = clock or SystemClock()
    database = Database(build_engine(settings.database_url))
    assert settings.api_key is not None  # the settings refuse to load without one
    platform = PlatformClient(
        settings.platform_url,
        settings.api_key.get_secret_value(),
        timeout=settings.platform_timeout_seconds,
        max_retries=settings.platform_max_retries,
        max_retry_wait=settings.platform_max_retry_wait_seconds,
        transport=platform_transport,
    )
    return Backend(
        settings=settings,
        database=database,
        rate_limiter=RateLimiter(
            per_user=settings.rate_limit_per_user,
            per_ip=settings.rate_limit_per_ip,
            enabled=settings.rate_limit_enabled,
        ),
        accounts=Accounts(
            database=database,
            passwords=passwords or Passwords(),
            clock=clock,
            session_lifetime=timedelta(seconds=settings.session_lifetime_seconds),
        ),
        attestation=Attestation(
            database=database,
            clock=clock,
            verifier=build_verifier(settings, clock),
            nonce_lifetime=timedelta(seconds=settings.attestation_nonce_lifetime_seconds),
        ),
        linking=Linking(
            platform=platform,
            app_id=settings.app_id,
            app_secret=settings.app_secret,
            platform_url=settings.app_platform_url,
        ),
        webhooks=Webhooks(database=database, clock=clock, secret=settings.webhook_secret),
    )
