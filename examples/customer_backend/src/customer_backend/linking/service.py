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
