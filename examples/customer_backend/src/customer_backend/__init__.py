"""The reference customer backend for userlink: your own users and sessions, device attestation,
and the server-to-server calls that hold the API key. `create_app(settings)` builds the service."""

from customer_backend.app import create_app
from customer_backend.config import Settings

__all__ = ["Settings", "create_app"]
