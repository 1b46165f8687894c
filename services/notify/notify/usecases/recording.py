"""Recording a message (design.md §4): one message per ``(cause, recipient, template)``, inserted once however
often its cause arrives; a recipient that cannot be reached is recorded as failed at once, without a send."""

from __future__ import annotations

import uuid

from notify import domain
from notify.domain import (
    MessageState,
    Template,
)
from notify.models import Message
from notify.repository import NotifyUnitOfWork
from notify.usecases.common import (
    FIRST_ATTEMPT_GRACE,
    MAX_ERROR,
    RECIPIENT_CONTEXT,
    TEXT_CONTEXT,
    Recorder,
    count,
    emit,
)
from shared.contracts.notify import MESSAGE_FAILED
from shared.platform.logging import get_logger

log = get_logger(__name__)


def _new_message(
    recorder: Recorder, *, cause_id: str, correlation_id: str, template: Template, recipient: str, text: str, state: str
) -> Message:
    now = recorder.now()
    return Message(
        id=str(uuid.uuid4()),
        cause_id=cause_id,
        correlation_id=correlation_id,
        channel=template.channel,
        template=template.name,
        template_version=template.version,
        recipient_hmac=recorder.hasher.digest(recipient, kind=domain.recipient_kind(template.channel)),
        recipient_token=recorder.cipher.encrypt(recipient, context=RECIPIENT_CONTEXT),
        subject=template.subject,
        text=recorder.cipher.encrypt(text, context=TEXT_CONTEXT) if template.sensitive else text,
        text_sealed=template.sensitive,
        state=state,
        attempts=0,
        next_attempt_at=now + FIRST_ATTEMPT_GRACE if state == MessageState.PENDING else None,
        created_at=now,
        updated_at=now,
        finished_at=None if state == MessageState.PENDING else now,
    )


def request_message(
    uow: NotifyUnitOfWork, recorder: Recorder, *, cause_id: str, correlation_id: str, template: Template,
    recipient: str, params: dict,
) -> tuple[Message, bool]:
    """Record one ``pending`` message, or return the one this cause already made for this recipient and
    template (``created`` is False). ``InvalidRecipient`` / ``TemplateError`` for bad input."""
    canonical = domain.canonical_recipient(template.channel, recipient)
    text = template.render(params)
    message = _new_message(
        recorder, cause_id=cause_id, correlation_id=correlation_id, template=template, recipient=canonical, text=text,
        state=MessageState.PENDING,
    )
    return uow.messages.add_once(message)


def record_undeliverable(
    uow: NotifyUnitOfWork, recorder: Recorder, *, cause_id: str, correlation_id: str, template: Template,
    recipient: str, params: dict, error: str,
) -> None:
    """An event named a recipient no gateway can reach: the message is ``failed`` at once and reported."""
    message = _new_message(
        recorder, cause_id=cause_id, correlation_id=correlation_id, template=template, recipient=recipient.strip(),
        text=template.render(params), state=MessageState.FAILED,
    )
    message.last_error = error[:MAX_ERROR]
    message, created = uow.messages.add_once(message)
    if created:
        emit(uow, MESSAGE_FAILED, message, message.last_error, recorder.now())
        count(recorder.metrics, message, "failed")
        log.error("message_undeliverable", message_id=message.id, template=template.name, error=message.last_error,
                  correlation_id=correlation_id)
