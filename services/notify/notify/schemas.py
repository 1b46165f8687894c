"""Notify's request and response contracts at its own edge (RPC arguments, HTTP query and answers)."""

from marshmallow import RAISE, Schema, fields, validate

from shared.platform.idempotency import MAX_KEY_LENGTH


class SendInput(Schema):
    """``send_sms`` / ``send_email`` arguments. ``recipient`` (and any secret parameter such as ``code``) is a
    field-encryption token sealed under ``rpc.recipient`` (``rpc.<param>``) with the provider's keys."""

    class Meta:
        unknown = RAISE

    recipient = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    template = fields.String(required=True, validate=validate.Length(min=1, max=60))
    params = fields.Dict(keys=fields.String(), load_default=dict)
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=MAX_KEY_LENGTH))
    correlation_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class SendOutput(Schema):
    message_id = fields.String(required=True)
    state = fields.String(required=True)


class MessagesQuery(Schema):
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AttemptOutput(Schema):
    number = fields.Integer()
    gateway = fields.String()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    outcome = fields.String()
    error = fields.String(allow_none=True)


class MessageOutput(Schema):
    message_id = fields.String()
    correlation_id = fields.String()
    cause_id = fields.String()
    channel = fields.String()
    template = fields.String()
    template_version = fields.Integer()
    recipient = fields.String(metadata={"description": "masked, e.g. 138****8000"})
    text = fields.String(allow_none=True, metadata={"description": "null when the text carries a code"})
    state = fields.String(
        metadata={"description": "pending, sending, delivered, retry_wait, failed or unknown (outcome not known)"}
    )
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)
    created_at = fields.String()
    finished_at = fields.String(allow_none=True)
    delivery_attempts = fields.List(fields.Nested(AttemptOutput))


class MessagesOutput(Schema):
    correlation_id = fields.String()
    messages = fields.List(fields.Nested(MessageOutput))
