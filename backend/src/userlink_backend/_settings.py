"""The options both clients check the same way."""

from __future__ import annotations

import dataclasses

import httpx

from ._version import __version__

__all__ = ["Options"]


@dataclasses.dataclass(frozen=True)
class Options:
    base_url: str
    api_key: str = dataclasses.field(repr=False)
    max_retries: int
    max_retry_wait: float

    @classmethod
    def check(cls, base_url: str, api_key: str, max_retries: int, max_retry_wait: float) -> Options:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be a non-empty string (the platform's API key)")
        if any(c in api_key for c in "\r\n"):
            raise ValueError("api_key must be one line")  # never quote the key itself
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be an int >= 0")
        if max_retry_wait < 0:
            raise ValueError("max_retry_wait must be >= 0")
        return cls(base_url.rstrip("/"), api_key.strip(), max_retries, float(max_retry_wait))

    @property
    def default_headers(self) -> dict[str, str]:
        return {"User-Agent": f"userlink-backend-python/{__version__}"}
