"""`customer-backend` / `python -m customer_backend`: serve with uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn
from pydantic import ValidationError

from customer_backend.app import create_app
from customer_backend.config import ENV_PREFIX, Settings


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        lines = [f"customer-backend: the configuration is incomplete ({ENV_PREFIX}* variables):"]
        for problem in error.errors(include_input=False, include_url=False):
            field = ".".join(str(part) for part in problem["loc"])
            name = f"{ENV_PREFIX}{field.upper()}: " if field else ""
            lines.append(f"  {name}{problem['msg']}")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
