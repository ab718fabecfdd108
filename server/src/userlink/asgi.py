"""Entry point for ASGI servers: `uvicorn --factory userlink.asgi:create_app_from_environment`."""

from __future__ import annotations

from fastapi import FastAPI

from userlink.config import read_settings
from userlink.http.app import create_app


def create_app_from_environment() -> FastAPI:
    """The settings as every command reads them: USERLINK_* in the environment, then the settings
    file (USERLINK_ENV_FILE, which `userlink serve` sets for its workers)."""
    return create_app(read_settings())
