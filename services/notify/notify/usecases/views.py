"""Messages as staff and ops see them (``GET /messages``): states, attempts, recipients masked, no text that
carries a code."""

from __future__ import annotations

from sqlalchemy import select

from notify import domain
from notify.models import Message
from notify.usecases.common import (
    RECIPIENT_CONTEXT,
    Deps,
    iso,
)
from shared.platform.crypto import DecryptionError
from shared.platform.logging import mask_field


def get_message(deps: Deps, message_id: str) -> Message:
    return deps.session.execute(select(Message).where(Message.id == message_id)).scalar_one()


def _masked_recipient(deps: Deps, message: Message) -> str:
    try:
        plain = deps.cipher.decrypt(message.recipient_token, context=RECIPIENT_CONTEXT)
    except DecryptionError:
        return "<unreadable>"
    return mask_field(domain.recipient_kind(message.channel), plain)


def message_view(deps: Deps, message: Message) -> dict:
    """A message as staff and ops see it: recipient masked, a text with a code withheld."""
    return {
        "message_id": message.id,
        "correlation_id": message.correlation_id,
        "cause_id": message.cause_id,
        "channel": message.channel,
        "template": message.template,
        "template_version": message.template_version,
        "recipient": _masked_recipient(deps, message),
        "text": None if message.text_sealed else message.text,
        "state": message.state,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "next_attempt_at": iso(message.next_attempt_at),
        "created_at": iso(message.created_at),
        "finished_at": iso(message.finished_at),
        "delivery_attempts": [
            {"number": a.number, "gateway": a.gateway, "started_at": iso(a.started_at),
             "finished_at": iso(a.finished_at), "outcome": a.outcome, "error": a.error}
            for a in message.delivery_attempts
        ],
    }


def list_messages(deps: Deps, correlation_id: str) -> dict:
    rows = deps.session.execute(
        select(Message).where(Message.correlation_id == correlation_id).order_by(Message.created_at, Message.id)
    ).scalars()
    return {"correlation_id": correlation_id, "messages": [message_view(deps, m) for m in rows]}
