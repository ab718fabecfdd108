"""Entry point for ASGI servers: `uvicorn --factory userlink.asgi:create_app_from_environment`."""

from __future__ import annotations

from fastapi import FastAPI

from userlink.config import Settings
from userlink.http.app import create_app


def create_app_from_environment() -> FastAPI:
    return create_app(Settings())
