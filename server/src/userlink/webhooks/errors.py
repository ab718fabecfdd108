from __future__ import annotations

from userlink.errors import Conflict, NotFound, ValidationFailed


class WebhookEndpointNotFound(NotFound):
    error_code = "WEBHOOK_ENDPOINT_NOT_FOUND"
    default_message = "No webhook endpoint with this id in this app."


class WebhookMessageNotFound(NotFound):
    error_code = "WEBHOOK_MESSAGE_NOT_FOUND"
    default_message = "No webhook message with this id for this endpoint."


class InvalidWebhookUrl(ValidationFailed):
    error_code = "INVALID_WEBHOOK_URL"
    default_message = (
        "A webhook URL is an absolute https:// URL of at most 2048 characters whose host is not "
        "a private, loopback or link-local address (http:// and such hosts in development only)."
    )


class InvalidEventTypes(ValidationFailed):
    error_code = "INVALID_EVENT_TYPES"
    default_message = "Event types are a non-empty list of known event types, or null for all."


class InvalidWebhookDescription(ValidationFailed):
    error_code = "INVALID_WEBHOOK_DESCRIPTION"
    default_message = "A description has at most 200 characters."


class InvalidSecretOverlap(ValidationFailed):
    error_code = "INVALID_SECRET_OVERLAP"
    default_message = "The previous signing secret may keep signing between 0 hours and 7 days."


class TooManyWebhookEndpoints(Conflict):
    error_code = "TOO_MANY_WEBHOOK_ENDPOINTS"
    default_message = "An app has at most 20 webhook endpoints."


class WebhookMessagePending(Conflict):
    error_code = "WEBHOOK_MESSAGE_PENDING"
    default_message = (
        "This message is still being delivered; redeliver it once it is delivered or dead."
    )
