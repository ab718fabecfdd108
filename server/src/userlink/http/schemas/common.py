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
    platform: Platform = Field(description="The device's operating system.")
    os_version: ShortText | None = Field(
        default=None, description="The operating system's version, as the device reports it."
    )
    model: ShortText | None = Field(
        default=None, description="The device model, as shown to people (`Pixel 8`)."
    )
    screen_diagonal_inches: Annotated[float, Field(gt=0, lt=100, strict=True)] | None = Field(
        default=None, description="Android (and others): under 7 inches is a phone."
    )
    ios_idiom: Annotated[str, StringConstraints(pattern=r"^(phone|pad)$")] | None = Field(
        default=None, description="iOS: `phone` or `pad`."
    )

    model_config = ConfigDict(extra="forbid", strict=False)


class AppInfoIn(Strict):
    app_version: ShortText | None = Field(default=None, description="Your app's version.")
    sdk_version: ShortText | None = Field(
        default=None, description="The userlink SDK's version (the migration report counts them)."
    )


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
    access_token: str = Field(
        description="Bearer token of the SDK routes (`ula_…`), kept on the device only."
    )
    access_token_expires_at: UtcDatetime = Field(
        description="When the access token stops working: refresh it before (ISO-8601 UTC)."
    )
    refresh_token: str = Field(
        description="Exchanged at `POST /sdk/v1/token` for new credentials (`ulr_…`); single-use."
    )
    refresh_token_expires_at: UtcDatetime = Field(
        description="When the refresh token stops working (ISO-8601 UTC)."
    )


class UploadSettingsOut(BaseModel):
    max_batch_size: int = Field(description="At most this many payloads in one upload.")
    max_payload_bytes: int = Field(description="At most this many bytes of JSON per payload body.")
    max_batch_bytes: int = Field(description="The whole request body must stay under 1 MiB.")
    min_interval_seconds: int = Field(description="Upload at most once per this many seconds.")


class ConfigurationOut(BaseModel):
    is_remote_enabled: bool = Field(
        description="Whether this install is the user's active one: only its payloads are "
        "processed."
    )
    upload: UploadSettingsOut = Field(description="The limits of `POST /sdk/v1/payloads`.")
    features: dict[str, bool] = Field(
        description="Feature flags of the SDK (`payload_upload`, `legacy_linking`)."
    )
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
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="The install's current refresh token (`ulr_…`)."
    )


class DisplacementOut(BaseModel):
    """Present only while this install is inactive because another install took its role."""

    new_install_id: str = Field(description="The install of the same user that is active now.")
    reason: str = Field(description="newer_install | phone_over_tablet")
    displaced_at: UtcDatetime = Field(description="When the other install took over.")


def displacement_out(displacement: Displacement | None) -> DisplacementOut | None:
    if displacement is None:
        return None
    return DisplacementOut(
        new_install_id=str(displacement.new_install_id),
        reason=displacement.reason,
        displaced_at=displacement.displaced_at,
    )


# Descriptions of fields several answers share.
USER_ID = "The platform user id (a UUID) the install belongs to."
INSTALL_ID = "This install's id (a UUID)."
IS_LINKED = "Whether the user carries one of your external ids."
INACTIVE_REASON = (
    "Why the install is not the active one (PHONE_PREFERRED_OVER_TABLET, NEWER_INSTALL_ACTIVE, "
    "INSTALL_RESET, INSTALL_DISABLED), or null when it is."
)
CONFIGURATION = "What the SDK is told to do (upload limits, features)."
CREDENTIALS = "The install's credentials for the SDK routes; keep them on the device."
INSTALLATION_NONCE = (
    "Random value the SDK makes once per installation and keeps: the same device sending again "
    "is recognised by it."
)
DEVICE = "The device: its platform and what tells a phone from a tablet."
APP_INFO = "Your app's and the SDK's versions."

DISPLACEMENT_DESCRIPTION = (
    "Optional: set while another install of the user has taken the active role from this one "
    "(this install is displaced); null or absent otherwise."
)


class RefreshOut(BaseModel):
    credentials: CredentialsOut = Field(
        description="New credentials: the refresh token sent is used up."
    )
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)


class StatusOut(BaseModel):
    user_id: str = Field(description=USER_ID)
    install_id: str = Field(description=INSTALL_ID)
    is_linked: bool = Field(description=IS_LINKED)
    is_remote_enabled: bool = Field(description="Whether this install is the user's active one.")
    inactive_reason: str | None = Field(description=INACTIVE_REASON)
    configuration: ConfigurationOut = Field(description=CONFIGURATION)
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)
