"""This install on the platform: created from an authentication code, linked, asked for its
status, deregistered. Platform failures leave here as the `_api` errors; `_reasons` names them."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets

from ._api import ApiError, Identity, NetworkError, ProtocolError, SdkApi, StatusAnswer
from ._device import Device
from ._effects import CallLinker, Steps
from ._errors import DeviceStateError, UserLinkingError, UserLinkingFailureReason
from ._linkers import Linker, LinkOutcome
from ._session import Session
from ._state import DeviceState

__all__ = ["REDEEM_ATTEMPTS", "REDEEM_BACKOFF", "Install"]

#: Redemption: attempts of the same request (same nonce) on a network failure, and the backoff.
REDEEM_ATTEMPTS = 4
REDEEM_BACKOFF = 0.5


class Install:
    def __init__(self, api: SdkApi, device: Device, session: Session) -> None:
        self._api = api
        self._device = device
        self._session = session

    def begin_creation(self) -> str:
        """A new PKCE verifier (RFC 7636), kept in the device state until a redemption ends the
        creation; its S256 challenge, for the app's backend to send with the code request."""
        verifier = secrets.token_urlsafe(48)
        self._device.commit(dataclasses.replace(self._device.current(), pkce_verifier=verifier))
        return s256_challenge(verifier)

    def redeem(
        self, base: str, *, code: str, app_id: str | None
    ) -> Steps[tuple[Identity, DeviceState]]:
        """Create (or restore) the user from an authentication code, proving the creation's
        PKCE verifier when one was begun; the install is this device's once the answer is
        saved."""
        nonce = self._device.ensure_nonce()
        verifier = self._device.current().pkce_verifier
        identity = yield from self._session.retrying(
            lambda: self._api.redeem(
                base, code=code, nonce=nonce, app_id=app_id, code_verifier=verifier
            ),
            attempts=REDEEM_ATTEMPTS,
            backoff=REDEEM_BACKOFF,
        )
        state = self._device.adopt(
            identity, base=base, app_id=app_id, fingerprint=None, established=True
        )
        if state.pkce_verifier is not None:
            state = self._device.commit(dataclasses.replace(state, pkce_verifier=None))
        return identity, state

    def link(
        self,
        base: str,
        install_id: str,
        *,
        auth_code: str | None,
        linker: Linker | None,
        linker_timeout: float,
    ) -> Steps[DeviceState]:
        """Link the install's user with a code, or with the app's linker then a confirmation."""
        if auth_code is not None:
            code = auth_code
            identity = yield from self._session.authorized(
                base, lambda t: self._api.link(base, t, code)
            )
        else:
            assert linker is not None
            outcome: LinkOutcome = yield CallLinker(linker, install_id, linker_timeout)
            if not outcome.success:
                raise UserLinkingError(
                    UserLinkingFailureReason.APP_SIDE_LINKING_FAILED, outcome.details
                )
            identity = yield from self._session.authorized(
                base, lambda t: self._api.confirm_link(base, t, established=False)
            )
        if not identity.is_linked:
            raise UserLinkingError(
                UserLinkingFailureReason.UNEXPECTED_ERROR,
                "the platform answered that the user is still unlinked",
            )
        return self._device.commit(
            dataclasses.replace(
                self._device.current(),
                user_id=identity.user_id,
                install_id=identity.install_id,
                is_linked=True,
                configuration=identity.configuration or self._device.current().configuration,
            )
        )

    def fetch_status(self, base: str) -> Steps[StatusAnswer]:
        """Ask the platform for the install's status, and remember the answer."""
        answer = yield from self._session.authorized(base, lambda t: self._api.status(base, t))
        self._device.remember_remote_enabled(answer.is_remote_enabled, answer)
        return answer

    def deregister(self) -> Steps[tuple[bool, str]]:
        """Best effort: whether the platform deregistered the install, and why not."""
        try:
            state = self._device.current()
        except DeviceStateError as exc:
            return False, (
                f"the device state could not be read ({exc.problem}); "
                "the install was not deregistered on the server"
            )
        if state.install_id is None or state.refresh_token is None:
            return False, "no install on this device"
        try:
            base = self._device.base_url(state)
            yield from self._session.authorized(base, lambda t: self._api.reset(base, t))
        except NetworkError as exc:
            return False, (
                f"the platform could not be reached ({exc.details}); the install stays "
                "registered on the server"
            )
        except ApiError as exc:
            if exc.status == 401:
                return False, f"the server already considers the install deregistered ({exc})"
            return False, f"the server refused to deregister the install ({exc})"
        except (ProtocolError, ValueError, OSError) as exc:
            return False, f"the install could not be deregistered ({exc})"
        return True, "the install is deregistered on the server"


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
