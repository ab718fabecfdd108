from __future__ import annotations

from customer_backend.errors import BadRequest, ServiceUnavailable


class InvalidWebhook(BadRequest):
    error_code = "INVALID_WEBHOOK"
    default_message = "The webhook's signature or timestamp does not check out."


class WebhooksNotConfigured(ServiceUnavailable):
    error_code = "WEBHOOKS_NOT_CONFIGURED"
    default_message = "Set CUSTOMER_BACKEND_WEBHOOK_SECRET (or _FILE) to receive webhooks."
