"""Recording a message (design.md §4): one message per ``(cause, recipient, template)``, inserted once however
often its cause arrives; a recipient that cannot be reached is recorded as failed at once, without a send."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from notify import domain
from notify.domain import (
    MessageState,
    Template,
)
from notify.models import Message
from notify.usecases.common import (
    FIRST_ATTEMPT_GRACE,
    MAX_ERROR,
    RECIPIENT_CONTEXT,
    TEXT_CONTEXT,
    Deps,
    count,
)
from notify.usecases.delivery import emit
from shared.contracts.notify import MESSAGE_FAILED
from shared.platform.logging import get_logger

log = get_logger(__name__)


def _find(deps: Deps, cause_id: str, recipient_hmac: str, template_name: str) -> Message | None:
    return deps.session.execute(
        select(Message).where(
            Message.cause_id == cause_id,
            Message.recipient_hmac == recipient_hmac,
            Message.template == template_name,
        )
    ).scalar_one_or_none()


def _insert_once(deps: Deps, message: Message) -> tuple[Message, bool]:
    """Add ``message`` unless its at-most-once key exists; a concurrent twin loses on the UNIQUE constraint."""
    existing = _find(deps, message.cause_id, message.recipient_hmac, message.template)
    if existing is not None:
        return existing, False
    try:
        with deps.session.begin_nested():
            deps.session.add(message)
    except IntegrityError:
        existing = _find(deps, message.cause_id, message.recipient_hmac, message.template)
        if existing is None:
            raise
        return existing, False
    return message, True


def _new_message(
    deps: Deps, *, cause_id: str, correlation_id: str, template: Template, recipient: str, text: str, state: str
) -> Message:
    now = deps.now()
    return Message(
        id=str(uuid.uuid4()),
        cause_id=cause_id,
        correlation_id=correlation_id,
        channel=template.channel,
        template=template.name,
        template_version=template.version,
        recipient_hmac=deps.hasher.digest(recipient, kind=domain.recipient_kind(template.channel)),
        recipient_token=deps.cipher.encrypt(recipient, context=RECIPIENT_CONTEXT),
        subject=template.subject,
        text=deps.cipher.encrypt(text, context=TEXT_CONTEXT) if template.sensitive else text,
        text_sealed=template.sensitive,
        state=state,
        attempts=0,
        next_attempt_at=now + FIRST_ATTEMPT_GRACE if state == MessageState.PENDING else None,
        created_at=now,
        updated_at=now,
        finished_at=None if state == MessageState.PENDING else now,
    )


def request_message(
    deps: Deps, *, cause_id: str, correlation_id: str, template: Template, recipient: str, params: dict
) -> tuple[Message, bool]:
    """Record one ``pending`` message, or return the one this cause already made for this recipient and
    template (``created`` is False). ``InvalidRecipient`` / ``TemplateError`` for bad input."""
    canonical = domain.canonical_recipient(template.channel, recipient)
    text = template.render(params)
    message = _new_message(
        deps, cause_id=cause_id, correlation_id=correlation_id, template=template, recipient=canonical, text=text,
        state=MessageState.PENDING,
    )
    return _insert_once(deps, message)


def record_undeliverable(
    deps: Deps, *, cause_id: str, correlation_id: str, template: Template, recipient: str, params: dict, error: str
) -> None:
    """An event named a recipient no gateway can reach: the message is ``failed`` at once and reported."""
    message = _new_message(
        deps, cause_id=cause_id, correlation_id=correlation_id, template=template, recipient=recipient.strip(),
        text=template.render(params), state=MessageState.FAILED,
    )
    message.last_error = error[:MAX_ERROR]
    message, created = _insert_once(deps, message)
    if created:
        emit(deps, MESSAGE_FAILED, message, message.last_error)
        count(deps, message, "failed")
        log.error("message_undeliverable", message_id=message.id, template=template.name, error=message.last_error,
                  correlation_id=correlation_id)
