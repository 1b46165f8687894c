"""Messages as staff and ops see them (``GET /messages``): states, attempts, recipients masked, no text that
carries a code."""

from __future__ import annotations

from notify import domain
from notify.models import Message
from notify.repository import NotifyUnitOfWork
from notify.usecases.common import RECIPIENT_CONTEXT, iso
from shared.platform.crypto import DecryptionError
from shared.platform.logging import mask_field


def get_message(uow: NotifyUnitOfWork, message_id: str) -> Message:
    return uow.messages.get(message_id)


def _masked_recipient(cipher, message: Message) -> str:
    try:
        plain = cipher.decrypt(message.recipient_token, context=RECIPIENT_CONTEXT)
    except DecryptionError:
        return "<unreadable>"
    return mask_field(domain.recipient_kind(message.channel), plain)


def message_view(cipher, message: Message) -> dict:
    """A message as staff and ops see it: recipient masked, a text with a code withheld."""
    return {
        "message_id": message.id,
        "correlation_id": message.correlation_id,
        "cause_id": message.cause_id,
        "channel": message.channel,
        "template": message.template,
        "template_version": message.template_version,
        "recipient": _masked_recipient(cipher, message),
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


def list_messages(uow: NotifyUnitOfWork, cipher, correlation_id: str) -> dict:
    """A filing's messages, oldest first, as :func:`message_view` shows them (``cipher`` opens the recipients to
    mask them)."""
    messages = uow.messages.of_correlation(correlation_id)
    return {"correlation_id": correlation_id, "messages": [message_view(cipher, m) for m in messages]}
