"""Receiving the platform's webhooks: verified, deduplicated on `webhook-id`, and acted on
(`install.displaced` becomes a notice for the user: "you were signed in on another phone")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from customer_backend.clock import Clock, as_utc
from customer_backend.db import Database
from customer_backend.models import device_notices, received_webhooks
from customer_backend.webhooks import verification
from customer_backend.webhooks.errors import InvalidWebhook, WebhooksNotConfigured

DISPLACED = "install.displaced"


@dataclass(frozen=True)
class DeviceNotice:
    message_id: str
    platform_user_id: str | None
    displaced_install_id: str | None
    reason: str | None
    details: dict[str, Any]
    created_at: datetime


class Webhooks:
    def __init__(self, *, database: Database, clock: Clock, secret: SecretStr | None) -> None:
        self._database = database
        self._clock = clock
        self._secret = secret

    def receive(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Verifies and records a message; False when it was received before (a redelivery)."""
        if self._secret is None:
            raise WebhooksNotConfigured()
        try:
            message = verification.verify(
                self._secret.get_secret_value(), body, headers, now=self._clock.now()
            )
        except verification.InvalidWebhook as error:
            raise InvalidWebhook(str(error)) from None
        message_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        data = message.get("data") or {}
        now = self._clock.now()
        try:
            with self._database.transaction() as connection:
                connection.execute(
                    insert(received_webhooks).values(
                        message_id=message_id,
                        type=str(message.get("type"))[:64],
                        platform_user_id=data.get("user_id"),
                        received_at=now,
                    )
                )
                if message.get("type") == DISPLACED:
                    details = data.get("details") or {}
                    connection.execute(
                        insert(device_notices).values(
                            message_id=message_id,
                            platform_user_id=data.get("user_id"),
                            displaced_install_id=data.get("install_id"),
                            reason=details.get("reason"),
                            details=details,
                            created_at=now,
                        )
                    )
        except IntegrityError:
            return False
        return True

    def received(self) -> list[tuple[str, str]]:
        """(webhook-id, type) of every message received, oldest first."""
        query = select(received_webhooks.c.message_id, received_webhooks.c.type).order_by(
            received_webhooks.c.received_at, received_webhooks.c.message_id
        )
        with self._database.transaction() as connection:
            return [(row.message_id, row.type) for row in connection.execute(query)]

    def notices_of(self, platform_user_id: str) -> list[DeviceNotice]:
        query = (
            select(device_notices)
            .where(device_notices.c.platform_user_id == platform_user_id)
            .order_by(device_notices.c.created_at)
        )
        with self._database.transaction() as connection:
            return [
                DeviceNotice(
                    message_id=row.message_id,
                    platform_user_id=row.platform_user_id,
                    displaced_install_id=row.displaced_install_id,
                    reason=row.reason,
                    details=dict(row.details),
                    created_at=as_utc(row.created_at),
                )
                for row in connection.execute(query)
            ]
