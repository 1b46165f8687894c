"""Events the notify service produces: the outcome of every message it was asked to send (P2 texts, codes)."""
from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.registry import EVENTS, EventContract

MESSAGE_DELIVERED = "message_delivered.v1"
MESSAGE_FAILED = "message_failed.v1"


class MessageOutcomeSchema(Schema):
    """``recipient_hmac`` identifies the recipient without revealing it (design.md §5)."""

    class Meta:
        unknown = EXCLUDE

    message_id = fields.String(required=True)
    correlation_id = fields.String(required=True)
    cause_event_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(["sms", "email"]))
    template = fields.String(required=True)
    template_version = fields.Integer(required=True)
    recipient_hmac = fields.String(required=True)
    attempts = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    error = fields.String(allow_none=True)


_SAMPLE = {
    "message_id": "5b0e7c1a-2f4d-4b8e-9a61-0c2d3e4f5a6b",
    "correlation_id": "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
    "cause_event_id": "9d7f1e2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f",
    "channel": "sms",
    "template": "precheck_passed",
    "template_version": 1,
    "recipient_hmac": "ab" * 32,
    "attempts": 1,
    "at": "2026-11-03T09:31:00+08:00",
    "error": None,
}
EVENTS.register(
    EventContract(MESSAGE_DELIVERED, "notify", MessageOutcomeSchema, _SAMPLE, "A message reached its gateway.")
)
EVENTS.register(
    EventContract(
        MESSAGE_FAILED,
        "notify",
        MessageOutcomeSchema,
        {**_SAMPLE, "attempts": 5, "error": "gateway answered 503"},
        "A message could not be delivered after its retries; ops and staff see it.",
    )
)
