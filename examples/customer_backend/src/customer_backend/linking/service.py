"""Use cases of linking. The external id handed to the platform is always the session's user id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from customer_backend.accounts.service import SessionCaller
from customer_backend.linking import rules
from customer_backend.linking.errors import AppSecretNotConfigured, InstallNotFound, from_platform
from userlink_backend import PlatformClient, UserLinkBackendError


@dataclass(frozen=True)
class AuthCodeGrant:
    app_id: str
    auth_code: str
    platform_url: str
    expires_at: str


@dataclass(frozen=True)
class OtherDevice:
    install_id: str
    platform: str
    device_class: str
    model: str | None


@dataclass(frozen=True)
class AuthCodePreview:
    outcome: str
    signed_in_elsewhere: bool
    will_be_active: bool
    other_device: OtherDevice | None
    message: str | None


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    app_secret: str
    platform_url: str


@dataclass(frozen=True)
class Linking:
    platform: PlatformClient
    app_id: str
    app_secret: SecretStr | None
    platform_url: str  # as the app reaches the platform

    def auth_code(self, caller: SessionCaller, code_challenge: str | None = None) -> AuthCodeGrant:
        try:
            issued = self.platform.issue_auth_code(
                str(caller.user_id), code_challenge=code_challenge
            )
        except UserLinkBackendError as error:
            raise from_platform(error) from None
        return AuthCodeGrant(
            app_id=self.app_id,
            auth_code=issued.code,
            platform_url=self.platform_url,
            expires_at=_wire_time(issued.expires_at),
        )

    def preview_auth_code(self, caller: SessionCaller, device_class: str) -> AuthCodePreview:
        """What a code for the session's user would do if this device (a phone or a tablet)
        redeemed it now: the platform's preview, which writes nothing and mints no code."""
        try:
            preview = self.platform.preview_auth_code(str(caller.user_id))
        except UserLinkBackendError as error:
            raise from_platform(error) from None
        on_redemption = preview.on_redemption
        arrival = on_redemption.tablet if device_class == "tablet" else on_redemption.phone
        other = next(
            (install for install in preview.installs if install.id == arrival.takes_over_from),
            None,
        )
        return AuthCodePreview(
            outcome=preview.outcome,
            signed_in_elsewhere=arrival.takes_over_from is not None,
            will_be_active=arrival.is_active,
            other_device=None
            if other is None
            else OtherDevice(
                install_id=other.id,
                platform=other.platform,
                device_class=other.device_class,
                model=other.model,
            ),
            message=rules.preview_notice(
                device_class,
                preview.outcome,
                arrival.takes_over_from,
                None if other is None else other.device_class,
                None if other is None else other.model,
            ),
        )

    def link_install(self, caller: SessionCaller, install_id: str) -> str:
        if not rules.valid_install_id(install_id):
            raise InstallNotFound()
        try:
            return self.platform.link_install(install_id, str(caller.user_id))
        except UserLinkBackendError as error:
            raise from_platform(error) from None

    def app_credentials(self, caller: SessionCaller) -> AppCredentials:
        if self.app_secret is None:
            raise AppSecretNotConfigured()
        return AppCredentials(
            app_id=self.app_id,
            app_secret=self.app_secret.get_secret_value(),
            platform_url=self.platform_url,
        )


def _wire_time(moment: datetime) -> str:
    """The platform's own form: ISO-8601 UTC with milliseconds and `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
