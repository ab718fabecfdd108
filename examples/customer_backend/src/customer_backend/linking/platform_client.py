"""The platform's server-to-server routes, called with the API key. The only module that sees the
key; it goes into one header and nowhere else (not in logs, not in answers, not in errors)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from customer_backend.linking.errors import (
    PlatformError,
    PlatformFailed,
    PlatformRejectedApiKey,
    PlatformUnreachable,
)

logger = logging.getLogger("customer_backend.platform")

# A write whose answer was lost is sent again once, with its Idempotency-Key.
POST_ATTEMPTS = 2


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: str


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._client = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def issue_auth_code(self, external_id: str, code_challenge: str | None = None) -> IssuedCode:
        """A code for `external_id`; bound to the device that made `code_challenge` (PKCE
        S256) when the app sent one."""
        body: dict[str, Any] = {"external_id": external_id}
        if code_challenge is not None:
            body.update(code_challenge=code_challenge, code_challenge_method="S256")
        answer = self._post("/users/auth-code", body)
        code, expires_at = answer.get("authentication_code"), answer.get("expires_at")
        if not isinstance(code, str) or not isinstance(expires_at, str):
            raise PlatformFailed("The platform's auth-code answer lacks its fields.")
        return IssuedCode(code=code, expires_at=expires_at)

    def link_install(self, install_id: str, external_id: str) -> str:
        path = f"/v2/users/{quote(install_id, safe='')}/link"
        answer = self._post(path, {"external_id": external_id})
        user_id = answer.get("id")
        if not isinstance(user_id, str):
            raise PlatformFailed("The platform's link answer lacks the user id.")
        return user_id

    def _send(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        for _ in range(POST_ATTEMPTS):
            try:
                return self._client.post(path, json=body, headers=headers)
            except httpx.TransportError as error:
                logger.warning("platform unreachable on %s: %s", path, type(error).__name__)
        raise PlatformUnreachable()

    def close(self) -> None:
        self._client.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST once, retrying a lost answer once with the same Idempotency-Key: the platform
        then answers the first request's answer instead of minting a second code or link."""
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        response = self._send(path, body, headers)
        answer = _json_object(response)
        if response.is_success and answer is not None:
            return answer
        raise _refusal(path, response, answer)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _refusal(path: str, response: httpx.Response, answer: dict[str, Any] | None) -> Exception:
    status = response.status_code
    code = answer.get("errorCode") if answer else None
    message = answer.get("message") if answer else None
    platform_ref = answer.get("ref") if answer else None
    logger.warning("platform refused %s: %s %s (platform ref %s)", path, status, code, platform_ref)
    if status == 401:
        # Our API key is wrong, revoked or expired: not the app user's fault, so not a 401 for it.
        return PlatformRejectedApiKey(f"{PlatformRejectedApiKey.default_message} ({code})")
    if 400 <= status < 500 and isinstance(code, str) and isinstance(message, str):
        return PlatformError(status, code, message, retry_after=response.headers.get("retry-after"))
    return PlatformFailed()
