"""Wire pieces shared by several route groups: devices, credentials, the SDK's configuration."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from userlink.installs.rules import Platform
from userlink.installs.service import DeviceFacts
from userlink.kit.clock import iso_utc
from userlink.payloads import rules as payload_rules
from userlink.sdk_credentials.service import Credentials, Displacement

UtcDatetime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]
# Printable text only: a NUL or any other control character (C0, DEL, C1) is refused here
# (PostgreSQL cannot store a NUL in text, and no device field needs one).
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
ShortText = Annotated[str, StringConstraints(max_length=128, pattern=PRINTABLE)]
# RFC 7636 §4.1: 43 to 128 unreserved characters.
CodeVerifier = Annotated[
    str, StringConstraints(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9\-._~]+$")
]
InstallationNonce = Annotated[
    str, StringConstraints(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")
]


def _integer_as_decimal_text(value: object) -> object:
    """A JSON integer is an external id too, as its decimal string (12345 is "12345"): backends
    whose user ids are numbers send them as numbers. Floats and booleans stay refused."""
    return str(value) if type(value) is int else value


# Length and content are checked by the service (`normalise_external_id`), so that a refusal
# carries its own errorCode (INVALID_EXTERNAL_ID); the schema says what it can of them.
ExternalId = Annotated[
    str,
    BeforeValidator(_integer_as_decimal_text),
    Field(strict=True),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}],
            "description": "The unique id of the user in your system: 1-256 characters after "
            "surrounding whitespace is trimmed, no control characters; or an integer, read as "
            "its decimal string.",
        }
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DeviceIn(Strict):
    platform: Platform
    os_version: ShortText | None = None
    model: ShortText | None = None
    screen_diagonal_inches: Annotated[float, Field(gt=0, lt=100, strict=True)] | None = Field(
        default=None, description="Android (and others): under 7 inches is a phone."
    )
    ios_idiom: Annotated[str, StringConstraints(pattern=r"^(phone|pad)$")] | None = Field(
        default=None, description="iOS: `phone` or `pad`."
    )

    model_config = ConfigDict(extra="forbid", strict=False)


class AppInfoIn(Strict):
    app_version: ShortText | None = None
    sdk_version: ShortText | None = None


def device_facts(device: DeviceIn, app: AppInfoIn) -> DeviceFacts:
    return DeviceFacts(
        platform=device.platform,
        os_version=device.os_version,
        model=device.model,
        screen_diagonal_inches=device.screen_diagonal_inches,
        ios_idiom=device.ios_idiom,
        app_version=app.app_version,
        sdk_version=app.sdk_version,
    )


class CredentialsOut(BaseModel):
    access_token: str
    access_token_expires_at: UtcDatetime
    refresh_token: str
    refresh_token_expires_at: UtcDatetime


class UploadSettingsOut(BaseModel):
    max_batch_size: int
    max_payload_bytes: int
    max_batch_bytes: int = Field(description="The whole request body must stay under 1 MiB.")
    min_interval_seconds: int


class ConfigurationOut(BaseModel):
    is_remote_enabled: bool
    upload: UploadSettingsOut
    features: dict[str, bool]
    redemption_retry_window_seconds: int | None = Field(
        default=None,
        description="How long after a redemption the same device (same installation_nonce) may "
        "send it again and get the same user and install back (docs/sdk-protocol.md).",
    )


def credentials_out(credentials: Credentials) -> CredentialsOut:
    return CredentialsOut(
        access_token=credentials.access_token,
        access_token_expires_at=credentials.access_token_expires_at,
        refresh_token=credentials.refresh_token,
        refresh_token_expires_at=credentials.refresh_token_expires_at,
    )


@cache
def configuration_out(is_active: bool, redemption_retry_window_seconds: int) -> ConfigurationOut:
    """What the SDK is told to do. Only the active install uploads to be processed."""
    return ConfigurationOut(
        is_remote_enabled=is_active,
        redemption_retry_window_seconds=redemption_retry_window_seconds,
        upload=UploadSettingsOut(
            max_batch_size=payload_rules.MAX_BATCH_SIZE,
            max_payload_bytes=payload_rules.MAX_PAYLOAD_BYTES,
            max_batch_bytes=payload_rules.MAX_BATCH_BYTES,
            min_interval_seconds=payload_rules.MIN_UPLOAD_INTERVAL_SECONDS,
        ),
        features={"payload_upload": True, "legacy_linking": True},
    )


class RefreshIn(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class DisplacementOut(BaseModel):
    """Present only while this install is inactive because another install took its role."""

    new_install_id: str = Field(description="The install of the same user that is active now.")
    reason: str = Field(description="newer_install | phone_over_tablet")
    displaced_at: UtcDatetime


def displacement_out(displacement: Displacement | None) -> DisplacementOut | None:
    if displacement is None:
        return None
    return DisplacementOut(
        new_install_id=str(displacement.new_install_id),
        reason=displacement.reason,
        displaced_at=displacement.displaced_at,
    )


DISPLACEMENT_DESCRIPTION = (
    "Optional: set while another install of the user has taken the active role from this one "
    "(this install is displaced); null or absent otherwise."
)


class RefreshOut(BaseModel):
    credentials: CredentialsOut
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)


class StatusOut(BaseModel):
    user_id: str
    install_id: str
    is_linked: bool
    is_remote_enabled: bool
    inactive_reason: str | None
    configuration: ConfigurationOut
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)
