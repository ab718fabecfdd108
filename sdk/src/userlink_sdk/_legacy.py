"""The legacy flow: register the install with the app id and secret (HTTP Basic), call the app's
linker with the install id, then confirm the link with the platform."""

from __future__ import annotations

import dataclasses

from ._api import ProtocolError, SdkApi
from ._device import Device
from ._effects import CallLinker, Steps
from ._errors import InitIssue, UserCreationFailureReason
from ._linkers import Linker, LinkOutcome, NoOpLinker
from ._reasons import LEGACY, LEGACY_TO_CREATION, PLATFORM_FAILURES, Failure, cause
from ._session import Session
from ._state import DeviceState, credential_fingerprint

__all__ = ["LegacyFailure", "LegacyLinking"]


class LegacyFailure(Exception):
    """A failure of the flow, named as `initialize()` names it; `create_user()` renames it."""

    def __init__(self, failure: Failure[InitIssue], *, unexpected: bool = False) -> None:
        super().__init__(failure.details)
        self.failure = failure
        self.unexpected = unexpected

    @property
    def creation(self) -> Failure[UserCreationFailureReason]:
        failure = self.failure
        reason = (
            UserCreationFailureReason.UNEXPECTED_ERROR
            if self.unexpected
            else LEGACY_TO_CREATION[failure.reason]
        )
        return Failure(
            reason, failure.details, failure.error_code, failure.request_ref, failure.retry_after
        )


def _platform_failure(exc: Exception) -> LegacyFailure:
    return LegacyFailure(LEGACY.pick(exc), unexpected=isinstance(exc, ProtocolError))


class LegacyLinking:
    def __init__(self, api: SdkApi, device: Device, session: Session) -> None:
        self._api = api
        self._device = device
        self._session = session

    def establish(
        self,
        base: str,
        *,
        app_id: str,
        secret: str,
        linker: Linker,
        linker_timeout: float,
        replace_other_credentials: bool,
    ) -> Steps[tuple[DeviceState, bool]]:
        """Register (if needed), call the linker, confirm. Returns the state and whether the
        install joined another, existing user."""
        fingerprint = credential_fingerprint(app_id, secret)
        state = self._device.current()
        other_credentials = state.user_id is not None and (
            (
                state.credential_fingerprint is not None
                and state.credential_fingerprint != fingerprint
            )
            or (state.app_id is not None and state.app_id != app_id)
        )
        if other_credentials:
            if not replace_other_credentials:
                raise LegacyFailure(
                    Failure(
                        InitIssue.CHANGED_CREDENTIALS,
                        "the device state was created with other app credentials; reset() (or "
                        "clear the app's data) before using new ones",
                    )
                )
            # create_user(): only an unfinished registration can be here; start afresh.
            state = self._device.commit(
                DeviceState(
                    platform_url=state.platform_url, installation_nonce=state.installation_nonce
                )
            )
        if state.user_id is None:
            nonce = self._device.ensure_nonce()
            try:
                # No backoff retries: nothing says the nonce makes registration idempotent.
                identity = yield from self._session.retrying(
                    lambda: self._api.register_install(
                        base, app_id=app_id, secret=secret, nonce=nonce
                    )
                )
            except PLATFORM_FAILURES as exc:
                raise _platform_failure(exc) from cause(exc)
            state = self._device.adopt(
                identity, base=base, app_id=app_id, fingerprint=fingerprint, established=False
            )
        elif state.credential_fingerprint is None and state.app_id is None:
            state = self._device.commit(
                dataclasses.replace(state, app_id=app_id, credential_fingerprint=fingerprint)
            )
        if state.user_established and (state.is_linked or isinstance(linker, NoOpLinker)):
            return state, False
        assert state.install_id is not None
        first_user = state.user_id
        if not isinstance(linker, NoOpLinker):
            outcome: LinkOutcome = yield CallLinker(linker, state.install_id, linker_timeout)
            if not outcome.success:
                raise LegacyFailure(Failure(InitIssue.LINK_FAILED, outcome.details))
        established = isinstance(linker, NoOpLinker)
        try:
            identity = yield from self._session.authorized(
                base, lambda t: self._api.confirm_link(base, t, established=established)
            )
        except PLATFORM_FAILURES as exc:
            raise _platform_failure(exc) from cause(exc)
        state = self._device.commit(
            dataclasses.replace(
                self._device.current(),
                user_id=identity.user_id,
                install_id=identity.install_id,
                is_linked=identity.is_linked,
                user_established=True,
                configuration=identity.configuration or state.configuration,
            )
        )
        return state, identity.user_id != first_user
