"""Settings: one validated object, read from `USERLINK_*` environment variables when asked."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="USERLINK_", extra="ignore", hide_input_in_errors=True
    )

    environment: Environment = Environment.PRODUCTION
    database_url: str = "sqlite:///./var/userlink.db"
    # A fixed pool: a few connections per core keep the database busy without sessions idling
    # in transaction; requests beyond it wait on the event loop, holding no thread.
    database_pool_size: int = Field(default=8, ge=1, le=200)
    database_max_overflow: int = Field(default=0, ge=0, le=200)
    # Key for every keyed hash (API keys, codes, tokens, app secrets). Changing it invalidates them.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None

    default_code_lifetime_seconds: int = Field(default=600, ge=10, le=600)
    redemption_retry_window_seconds: int = Field(default=60, ge=0, le=600)
    refresh_retry_window_seconds: int = Field(default=60, ge=0, le=600)
    access_token_lifetime_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    refresh_token_lifetime_seconds: int = Field(default=90 * 24 * 3600, ge=3600)
    api_key_default_lifetime_days: int = Field(default=365, ge=1, le=365)
    max_active_api_keys_per_app: int = Field(default=10, ge=1)
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)

    # How long one process may go on using an API key's or an app's record after reading it: a
    # revocation, or an app's settings change, bites within this bound (0: read every time).
    credential_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    # Rate limits (the `limits` library's notation). Storage is shared across processes via Redis.
    rate_limit_enabled: bool = True
    rate_limit_storage_url: str = "memory://"
    # Authentication codes presented per client address, redemption and linking together.
    rate_limit_redemption: str = "30/minute"
    # Failed credential checks (API keys, access and refresh tokens, app secrets) per client
    # address, whatever the value guessed; successful checks are not counted. While an address is
    # over it, its every credentialed request is refused (429) until the window moves on.
    rate_limit_credential_failures: str = "100/minute"
    # Restores of one external id's user on a new install (a redemption restoring it, a legacy
    # link joining it), per app: beyond it the restore is refused (429) and recorded. One id
    # restored again and again is a backend sending one id for many people (`test`, a default).
    rate_limit_restores_per_external_id: str = "10/hour"
    # Proxies trusted to name the client in X-Forwarded-For (`userlink serve`; comma-separated
    # addresses or networks, `*` for any). Rate limits are per client address, so by default no
    # proxy is trusted: anything able to reach the port could otherwise choose its own bucket.
    forwarded_allow_ips: str = ""

    # The dashboard (docs/dashboard.md). Sessions end after this long without a page, and after
    # the absolute limit whatever happens.
    dashboard_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    dashboard_session_absolute_hours: int = Field(default=12, ge=1, le=30 * 24)
    # TOTP is always required of owners and operators; this requires it of every account.
    dashboard_totp_required_for_all: bool = False
    # Failed logins (wrong password or wrong second factor) per account and per client address.
    rate_limit_login_failures_per_account: str = "10/15 minutes"
    rate_limit_login_failures_per_address: str = "50/15 minutes"

    # Webhooks (docs/webhooks.md). Each delivery attempt gives up after this long.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How often a worker looks for due messages when it found none.
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Plain http:// URLs and private, loopback or link-local addresses as webhook targets: allowed
    # in development only, unless this says so (tests with a receiver on 127.0.0.1).
    webhook_allow_insecure_targets: bool = False
    # The delivery worker inside the server process (the app's lifespan). Default: on the
    # embedded SQLite database only, so `make run` needs nothing else; with PostgreSQL run
    # `userlink worker` processes instead (any number share the work).
    webhook_worker_in_process: bool | None = None

    @property
    def webhook_insecure_targets_allowed(self) -> bool:
        return self.environment is Environment.DEVELOPMENT or self.webhook_allow_insecure_targets

    @property
    def runs_webhook_worker_in_process(self) -> bool:
        if self.webhook_worker_in_process is None:
            return self.uses_sqlite
        return self.webhook_worker_in_process

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    "USERLINK_SECRET_KEY must be at least "
                    f"{MIN_SECRET_LENGTH} characters and not the development default "
                    "outside development (generate one with `userlink secret`)"
                )
        return self
