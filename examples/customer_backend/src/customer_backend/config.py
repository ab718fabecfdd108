"""Settings: one validated object, read from `CUSTOMER_BACKEND_*` environment variables when asked.

Secrets (the API key, the app secret) come from the environment or, better, from files (`*_FILE`,
e.g. a mounted Docker or Kubernetes secret); a file wins over the plain variable. Never from a
request.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CUSTOMER_BACKEND_"


class AttestationMode(StrEnum):
    DEVELOPMENT = "development"
    JWS = "jws"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # The userlink platform, as this backend reaches it, and as the app should (if different).
    platform_url: str = "http://127.0.0.1:8000"
    platform_public_url: str | None = None
    platform_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # userlink_backend's retries of transient platform failures; an app's request waits for
    # them, so few, and a Retry-After longer than the wait is passed on to the app instead.
    platform_max_retries: int = Field(default=2, ge=0, le=10)
    platform_max_retry_wait_seconds: float = Field(default=5.0, ge=0, le=120)
    app_id: str = Field(min_length=1)
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    app_secret: SecretStr | None = None
    app_secret_file: Path | None = None

    # The signing secret (`whsec_…`) the platform showed when the webhook endpoint was created.
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None

    database_url: str = "sqlite:///./var/customer_backend.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    session_lifetime_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    # Device attestation. `jws` is the default: a forgotten setting fails at start, not open.
    attestation: AttestationMode = AttestationMode.JWS
    attestation_public_key_file: Path | None = None
    package_name: str | None = None
    attestation_nonce_lifetime_seconds: int = Field(default=300, ge=10, le=3600)
    attestation_max_age_seconds: int = Field(default=300, ge=10, le=3600)

    # Rate limits in the `limits` library's notation ("30/minute", "5/second;100/hour").
    rate_limit_enabled: bool = True
    rate_limit_per_user: str = "30/minute"
    rate_limit_per_ip: str = "120/minute"

    @field_validator("platform_url", "platform_public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("rate_limit_per_user", "rate_limit_per_ip")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        parse(value)  # raises ValueError on a rule `limits` cannot read
        return value

    @model_validator(mode="after")
    def _resolve_secrets(self) -> Self:
        if self.api_key_file is not None:
            self.api_key = _read_secret(self.api_key_file, "API_KEY_FILE")
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            raise ValueError(
                f"set {ENV_PREFIX}API_KEY_FILE (a file holding the API key) or {ENV_PREFIX}API_KEY"
            )
        if self.app_secret_file is not None:
            self.app_secret = _read_secret(self.app_secret_file, "APP_SECRET_FILE")
        if self.webhook_secret_file is not None:
            self.webhook_secret = _read_secret(self.webhook_secret_file, "WEBHOOK_SECRET_FILE")
        return self

    @model_validator(mode="after")
    def _attestation_complete(self) -> Self:
        if self.attestation is AttestationMode.JWS:
            missing = [
                f"{ENV_PREFIX}{name.upper()}"
                for name in ("attestation_public_key_file", "package_name")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"attestation mode `jws` needs {' and '.join(missing)} "
                    f"(or set {ENV_PREFIX}ATTESTATION=development to turn attestation off)"
                )
        return self

    @property
    def app_platform_url(self) -> str:
        """The platform URL handed to the app."""
        return self.platform_public_url or self.platform_url


def _read_secret(path: Path, variable: str) -> SecretStr:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(f"{ENV_PREFIX}{variable}: cannot read {path} ({error.strerror})") from None
    if not value:
        raise ValueError(f"{ENV_PREFIX}{variable}: {path} is empty")
    return SecretStr(value)
