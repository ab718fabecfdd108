"""Settings: one validated object, read from `USERLINK_*` environment variables when asked."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


# The settings file a command reads besides the environment (`userlink --env-file PATH`); without
# one, `<data directory>/userlink.env` when it exists (`make run` writes a development one).
ENV_FILE_VARIABLE = "USERLINK_ENV_FILE"
DATA_DIR_VARIABLE = "USERLINK_DATA_DIR"
ENV_FILE_NAME = "userlink.env"


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/userlink`, else `~/.local/share/userlink`: the same for every command
    whatever directory it is run from."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "userlink"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="USERLINK_", extra="ignore", hide_input_in_errors=True
    )

    environment: Environment = Environment.PRODUCTION
    # The default SQLite database and `userlink serve`'s metrics files live here (absolute).
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty: SQLite at `<data_dir>/userlink.db`.
    database_url: str = ""
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

    # Logs (docs/operations.md#logs): JSON lines, or plain text (the default in development); one
    # line per request unless access_log is off.
    log_format: LogFormat | None = None
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error|critical)$")
    access_log: bool = True
    # `/metrics`: without a token it answers scrapers on this host only (no proxy in between);
    # with one, any scraper that presents it as a bearer token.
    metrics_token: SecretStr | None = None

    # The dashboard (docs/dashboard.md). Sessions end after this long without a page, and after
    # the absolute limit whatever happens.
    dashboard_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    dashboard_session_absolute_hours: int = Field(default=12, ge=1, le=30 * 24)
    # TOTP is always required of owners and operators; this requires it of every account.
    dashboard_totp_required_for_all: bool = False
    # Failed logins (wrong password or wrong second factor) per account and per client address.
    rate_limit_login_failures_per_account: str = "10/15 minutes"
    rate_limit_login_failures_per_address: str = "50/15 minutes"

    # Webhooks (docs/events.md). Each delivery attempt gives up after this long.
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

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.TEXT if self.environment is Environment.DEVELOPMENT else LogFormat.JSON

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'userlink.db'}"
        return self

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    "USERLINK_SECRET_KEY must be at least "
                    f"{MIN_SECRET_LENGTH} characters and not the development default "
                    "outside development (generate one with `userlink secret`; on a development "
                    "machine set USERLINK_ENVIRONMENT=development, as `make run` does in "
                    f"{self.data_dir / ENV_FILE_NAME})"
                )
        return self


def settings_file(explicit: str | None = None) -> Path | None:
    """The settings file to read: the one named (`--env-file`, or USERLINK_ENV_FILE), else the
    data directory's `userlink.env` when there is one."""
    named = explicit or os.environ.get(ENV_FILE_VARIABLE)
    if named:
        return Path(named).expanduser().absolute()
    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    candidate = (Path(data_dir).expanduser() if data_dir else default_data_dir()) / ENV_FILE_NAME
    return candidate if candidate.is_file() else None


def write_development_file() -> Path | None:
    """`<data directory>/userlink.env` saying development, unless a settings file is there
    already (never overwritten); the path written, or None."""
    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    directory = Path(data_dir).expanduser() if data_dir else default_data_dir()
    path = directory.absolute() / ENV_FILE_NAME
    if path.exists():
        return None
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(
        "# Written by `userlink settings --init-development` (make run): this machine is for\n"
        "# development, so the development secret key is accepted. Never on a server.\n"
        "USERLINK_ENVIRONMENT=development\n"
    )
    path.chmod(0o600)
    return path


def read_settings(explicit_file: str | None = None) -> Settings:
    """Settings as every command and the server read them: `USERLINK_*` in the environment
    first, then the settings file (`settings_file`), then the defaults."""
    path = settings_file(explicit_file)
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"settings file {path} does not exist")
    return Settings(_env_file=path)
