"""``send_sms`` / ``send_email`` for the deployment's own services: sealed recipients and secret parameters, once
per idempotency key (design.md §5)."""

from __future__ import annotations

from notify import domain
from notify.domain import (
    InvalidRecipient,
    TemplateError,
)
from notify.models import Message
from notify.repository import NotifyUnitOfWork
from notify.usecases.common import PARAM_NAME, RPC_CONTEXT, Recorder
from notify.usecases.recording import request_message
from shared.contracts.errors import BadRequest, FieldError, field_errors
from shared.platform.crypto import DecryptionError
from shared.platform.logging import get_logger

log = get_logger(__name__)


def _bad(field: str, code: str, message: str) -> BadRequest:
    return BadRequest(message, field_errors(FieldError(field, code, message, "API")))


def request_by_rpc(
    uow: NotifyUnitOfWork,
    recorder: Recorder,
    *,
    channel: str,
    recipient: str,
    template: str,
    params: dict,
    idempotency_key: str,
    correlation_id: str | None,
) -> Message:
    """``send_sms`` / ``send_email``: ``recipient`` and the template's secret parameters arrive sealed under
    ``rpc.recipient`` / ``rpc.<param>`` (no personal data in plaintext on the bus, design.md §5). The same
    idempotency key for the same recipient and template returns the first message."""
    try:
        chosen = domain.template(template, channel)
    except TemplateError as exc:
        raise _bad("template", exc.code, exc.message) from None
    opened: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not PARAM_NAME.fullmatch(name):
            raise _bad("params", "format", "parameter names are lower-case words")
        if not isinstance(value, str | int):
            raise _bad(f"params.{name}", "type", "parameters are strings")
        secret = name in chosen.secret_params
        opened[name] = _open_rpc(recorder, str(value), name, f"params.{name}") if secret else value
    plain_recipient = _open_rpc(recorder, recipient, "recipient", "recipient")
    cause_id = f"rpc:{idempotency_key}"
    try:
        message, created = request_message(
            uow, recorder, cause_id=cause_id, correlation_id=correlation_id or "", template=chosen,
            recipient=plain_recipient, params=opened,
        )
    except InvalidRecipient as exc:
        raise _bad("recipient", "format", str(exc)) from None
    except TemplateError as exc:
        raise _bad(exc.field, exc.code, exc.message) from None
    if created and not correlation_id:
        message.correlation_id = message.id  # a message about no filing is its own journey
    log.info("message_requested", message_id=message.id, template=chosen.name, channel=channel, cause_id=cause_id,
             state=message.state, created=created)
    return message


def _open_rpc(recorder: Recorder, token: str, context_field: str, field: str) -> str:
    try:
        return recorder.cipher.decrypt(token, context=f"{RPC_CONTEXT}.{context_field}")
    except DecryptionError:
        message = f"{field} must be a token sealed with context {RPC_CONTEXT}.{context_field}"
        raise _bad(field, "sealed", message) from None
