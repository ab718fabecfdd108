"""The app's client for its own backend (the reference customer backend's HTTP contract).

The backend is the only party holding the platform API key: the app logs its user in there, then
asks it for authentication codes, for install-id links and for the app credentials of the legacy
flow. Routes that hand out platform material also want a fresh device attestation statement.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

import httpx

from .attestation import Attester
from .errors import BACKEND_UNREACHABLE, UNEXPECTED_ANSWER, DeviceAppError

__all__ = ["AppCredentials", "AuthCode", "BackendClient", "Session"]

ATTESTATION_HEADER = "X-Device-Attestation"


@dataclasses.dataclass(frozen=True)
class Session:
    """The app's own login at its backend (not a platform credential)."""

    username: str
    token: str = dataclasses.field(repr=False)
    user_id: str


@dataclasses.dataclass(frozen=True)
class AuthCode:
    app_id: str
    auth_code: str = dataclasses.field(repr=False)
    platform_url: str
    expires_at: str


@dataclasses.dataclass(frozen=True)
class AppCredentials:
    app_id: str
    app_secret: str = dataclasses.field(repr=False)
    platform_url: str


class BackendClient:
    def __init__(
        self,
        base_url: str,
        *,
        attester: Attester | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )
        self._attester = attester

    def close(self) -> None:
        self._http.close()

    # -- the app's own accounts -------------------------------------------------------------

    def signup(self, username: str, password: str) -> Session:
        answer = self._call("POST", "/signup", json={"username": username, "password": password})
        return Session(username, _text(answer, "token"), _text(answer, "user_id"))

    def login(self, username: str, password: str) -> Session:
        answer = self._call("POST", "/login", json={"username": username, "password": password})
        return Session(username, _text(answer, "token"), _text(answer, "user_id"))

    def logout(self, token: str) -> None:
        self._call("POST", "/logout", headers=_bearer(token))

    # -- platform material, for the logged-in user on an attested device --------------------

    def auth_code(self, token: str, code_challenge: str | None = None) -> AuthCode:
        """A code for the logged-in user; bound to this device when `code_challenge` (the SDK's
        `begin_user_creation()`) is sent."""
        path = "/auth/code"
        if code_challenge is not None:
            path += f"?code_challenge={quote(code_challenge, safe='')}"
        answer = self._call("GET", path, headers=self._attested(token))
        return AuthCode(
            app_id=_text(answer, "app_id"),
            auth_code=_text(answer, "auth_code"),
            platform_url=_text(answer, "platform_url"),
            expires_at=_text(answer, "expires_at"),
        )

    def link(self, token: str, install_id: str) -> str:
        """Link the SDK's install id to the logged-in user; the platform user id."""
        path = f"/users/{quote(install_id, safe='')}/link"
        answer = self._call("POST", path, headers=self._attested(token))
        return _text(answer, "id")

    def app_credentials(self, token: str) -> AppCredentials:
        answer = self._call("GET", "/app-credentials", headers=self._attested(token))
        return AppCredentials(
            app_id=_text(answer, "app_id"),
            app_secret=_text(answer, "app_secret"),
            platform_url=_text(answer, "platform_url"),
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _attested(self, token: str) -> dict[str, str]:
        """Bearer, plus a statement over a fresh single-use nonce (none without an attester:
        the backend decides whether that is acceptable)."""
        headers = _bearer(token)
        if self._attester is not None:
            nonce = _text(self._call("GET", "/attestation/nonce", headers=headers), "nonce")
            headers[ATTESTATION_HEADER] = self._attester.statement(nonce)
        return headers

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise DeviceAppError(
                BACKEND_UNREACHABLE, f"{method} {path}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code == httpx.codes.NO_CONTENT:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.is_success:
            raise _refusal(method, path, response.status_code, body)
        if not isinstance(body, dict):
            raise DeviceAppError(UNEXPECTED_ANSWER, f"{method} {path}: not a JSON object")
        return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _text(answer: dict[str, Any], field: str) -> str:
    value = answer.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DeviceAppError(UNEXPECTED_ANSWER, f"the backend's answer has no {field!r}")
    return str(value)


def _refusal(method: str, path: str, status: int, body: object) -> DeviceAppError:
    code = f"HTTP_{status}"
    message = f"{method} {path} answered {status}"
    if isinstance(body, dict):
        if isinstance(body.get("errorCode"), str):
            code = body["errorCode"]
        if isinstance(body.get("message"), str):
            message = body["message"]
    return DeviceAppError(code, message, status=status)
