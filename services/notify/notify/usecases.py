"""Notify use cases, collaborators passed in (design.md §2): record a message, deliver it, retry it, report it.

Once per cause
--------------
One message exists per ``(cause, recipient, template)``, and the gateway gets it **once**, whatever happens to
the event that caused it or to the process sending it (a second send only when the gateway says it has no record
of the first, see the delivery rule in :mod:`notify.domain`):

1. The cause (an event, or an RPC call's idempotency key) creates one ``Message`` row in state ``pending``.
   The row's ``UNIQUE (cause_id, recipient_hmac, template)`` and the consumer's processed-event row are
   committed in the same transaction, so a redelivered event finds both and creates nothing.
2. :func:`deliver` *claims* a due message (``pending`` or ``retry_wait``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
   and a compare-and-set on the state everywhere) by committing state ``sending`` and an ``in_flight`` attempt
   row **before** the gateway is called. The entrypoint that recorded the message makes the first attempt at
   once; the timer makes the retries (and first attempts whose recording worker died).
3. After the gateway answers, one transaction records the outcome: ``delivered`` (with
   ``message_delivered.v1`` in the outbox), ``retry_wait`` with the next attempt time (exponential backoff),
   or ``failed`` (refused, or out of attempts; with ``message_failed.v1``).

A process killed between 2 and 3 leaves the message in ``sending``: whether the text went out is unknown. Once
its attempt has been ``sending`` longer than the lease (the longest a gateway call can take), :func:`sweep_stale`
marks it ``unknown`` (an error log line and ``icp_notify_message_outcomes_total{outcome="unknown"}``), as a gateway
that itself cannot tell does (an SMTP connection lost during the message). :func:`reconcile_unknown` then settles
it by notify's one delivery rule (:mod:`notify.domain`): it asks the gateway's status query whether it has the
message, and sends it again only when the gateway has no record of it (or, without a query, when the template
resends when in doubt); what stays ``unknown`` is for staff in ``GET /messages``.

Only ``deliver``, the sweep and the reconciler commit (the protocol needs its commit points); the other functions
leave the commit to the entrypoint, so an event's effects and its processed-event row are one transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notify import domain
from notify.dependencies import GatewaySet
from notify.domain import (
    CONTACT_CODE,
    DUE_STATES,
    EMAIL,
    SMS,
    AttemptOutcome,
    InvalidRecipient,
    MessageState,
    RetryPolicy,
    Template,
    TemplateError,
)
from notify.gateways import DeliveryStatus, GatewayError, GatewayOutcomeUnknown, GatewayRejected, GatewayUnavailable
from notify.models import DeliveryAttempt, Message, outbox
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import BadRequest, FieldError, field_errors
from shared.contracts.notify import MESSAGE_DELIVERED, MESSAGE_FAILED
from shared.platform.crypto import DecryptionError
from shared.platform.logging import get_logger, mask_field
from shared.platform.outbox import enqueue

log = get_logger(__name__)

SERVICE = "notify"
RECIPIENT_CONTEXT = "notify.recipient"
TEXT_CONTEXT = "notify.text"
EVENT_CONTEXT = "event"  # precheck's sealed fields: event.mobile, event.recipient, event.code
EXCHANGE_CONTEXT = "exchange"  # fields sealed with the exchange ring by another actor (ADR 0001)
RPC_CONTEXT = "rpc"  # send_sms / send_email: rpc.recipient, rpc.<secret param>
MAX_ERROR = 200
DUE_BATCH = 50
# The entrypoint that records a message makes its first attempt at once; the timer takes a pending message only
# after this grace, when the worker that recorded it must have died before its first attempt.
FIRST_ATTEMPT_GRACE = timedelta(seconds=10)
_PARAM_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass
class Deps:
    """What the use cases touch; the service builds it per worker, tests build it with fakes."""

    session: Session
    cipher: object
    hasher: object
    gateways: GatewaySet
    policy: RetryPolicy
    sending_lease: timedelta
    now: Callable[[], datetime]
    metrics: object | None = None  # shared.platform.observability.MetricsRegistry
    exchange: object | None = None  # the exchange ring's FieldCipher (ADR 0001), for events from other actors


def _count(deps: Deps, message: Message, outcome: str) -> None:
    if deps.metrics is not None:
        deps.metrics.counter(
            "icp_notify_message_outcomes_total",
            "Message outcomes: delivered, retry, failed, unknown (a send whose result nobody knows).",
            ("channel", "template", "outcome"),
        ).labels(message.channel, message.template, outcome).inc()


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- recording a message --------------------------------------------------------------------------------------


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


def _record_undeliverable(
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
        _emit(deps, MESSAGE_FAILED, message, message.last_error)
        _count(deps, message, "failed")
        log.error("message_undeliverable", message_id=message.id, template=template.name, error=message.last_error,
                  correlation_id=correlation_id)


# --- events --------------------------------------------------------------------------------------------------


def _open_event_field(deps: Deps, token: str, field: str) -> str:
    return deps.cipher.decrypt(token, context=f"{EVENT_CONTEXT}.{field}")


def _from_event(
    deps: Deps, event_id: str, correlation_id: str, template: Template, recipient: str, params: dict
) -> str | None:
    try:
        message, _created = request_message(
            deps, cause_id=event_id, correlation_id=correlation_id, template=template, recipient=recipient,
            params=params,
        )
    except InvalidRecipient as exc:
        _record_undeliverable(
            deps, cause_id=event_id, correlation_id=correlation_id, template=template, recipient=recipient,
            params=params, error=f"invalid recipient: {exc}",
        )
        return None
    log.info("message_requested", message_id=message.id, template=template.name, channel=template.channel,
             cause_id=event_id, state=message.state)
    return message.id if message.state in DUE_STATES else None


def on_precheck_outcome(deps: Deps, event_id: str, correlation_id: str, data: dict, *, passed: bool) -> str | None:
    """P2: the pass or the fail text, verbatim, to the filing's mobile. Returns the message id to deliver
    now, or None (an unreachable number). The entrypoint claims each event once (design.md §4)."""
    name = domain.PRECHECK_PASSED if passed else domain.PRECHECK_FAILED
    mobile = _open_event_field(deps, data["mobile"], "mobile")
    return _from_event(deps, event_id, correlation_id, domain.template(name, SMS), mobile, {})


def on_contact_confirmation(deps: Deps, event_id: str, correlation_id: str, data: dict) -> str | None:
    """P2: the one-time code that confirms a contact, by SMS or e-mail as the event's ``channel`` says."""
    recipient = _open_event_field(deps, data["recipient"], "recipient")
    code = _open_event_field(deps, data["code"], "code")
    template = domain.template(CONTACT_CODE, data["channel"])
    return _from_event(deps, event_id, correlation_id, template, recipient, {"code": code})


def on_window_expired(deps: Deps, event_id: str, correlation_id: str, data: dict) -> str | None:
    """P3: the month passed without the responsible person coming in; the sponsor is told by SMS."""
    mobile = _open_event_field(deps, data["mobile"], "mobile")
    return _from_event(deps, event_id, correlation_id, domain.template(domain.ONSITE_WINDOW_EXPIRED, SMS), mobile, {})


def on_filing_approved(deps: Deps, event_id: str, correlation_id: str, data: dict) -> str | None:
    """P8: the filing number, to the mobile in the approved filing (sealed with the exchange ring, ADR 0001)."""
    mobile = deps.exchange.decrypt(data["filing"]["contacts"]["mobile"], context=f"{EXCHANGE_CONTEXT}.contacts.mobile")
    template = domain.template(domain.FILING_APPROVED, SMS)
    return _from_event(deps, event_id, correlation_id, template, mobile, {"filing_number": data["filing_number"]})


def _shanghai_day(value) -> str:
    return value.astimezone(domain.SHANGHAI).date().isoformat()


def on_revisit_requested(deps: Deps, event_id: str, correlation_id: str, data: dict) -> list[str]:
    """W5: ask the sponsor to confirm or update its data, by SMS and (when it gave one) e-mail. Returns the ids
    of the messages to deliver now."""
    params = {"filing_number": data["filing_number"], "answer_by": _shanghai_day(data["answer_by"])}
    ids = [_from_event(deps, event_id, correlation_id, domain.template(domain.REVISIT_REQUESTED, SMS),
                       _open_event_field(deps, data["contacts"]["mobile"], "contacts.mobile"), params)]
    if data["contacts"].get("email"):
        ids.append(_from_event(deps, event_id, correlation_id, domain.template(domain.REVISIT_REQUESTED, EMAIL),
                               _open_event_field(deps, data["contacts"]["email"], "contacts.email"), params))
    return [message_id for message_id in ids if message_id]


def on_reverification_requested(deps: Deps, event_id: str, correlation_id: str, data: dict) -> str | None:
    """W6: invite the responsible person of a stock filing to on-site verification by its deadline (SMS)."""
    mobile = _open_event_field(deps, data["contacts"]["mobile"], "contacts.mobile")
    params = {"filing_number": data["filing_number"], "deadline": _shanghai_day(data["deadline"])}
    return _from_event(deps, event_id, correlation_id, domain.template(domain.REVERIFICATION_REQUESTED, SMS), mobile,
                       params)


# --- RPC -----------------------------------------------------------------------------------------------------


def _bad(field: str, code: str, message: str) -> BadRequest:
    return BadRequest(message, field_errors(FieldError(field, code, message, "API")))


def request_by_rpc(
    deps: Deps,
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
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise _bad("params", "format", "parameter names are lower-case words")
        if not isinstance(value, str | int):
            raise _bad(f"params.{name}", "type", "parameters are strings")
        opened[name] = _open_rpc(deps, str(value), name, f"params.{name}") if name in chosen.secret_params else value
    plain_recipient = _open_rpc(deps, recipient, "recipient", "recipient")
    cause_id = f"rpc:{idempotency_key}"
    try:
        message, created = request_message(
            deps, cause_id=cause_id, correlation_id=correlation_id or "", template=chosen, recipient=plain_recipient,
            params=opened,
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


def _open_rpc(deps: Deps, token: str, context_field: str, field: str) -> str:
    try:
        return deps.cipher.decrypt(token, context=f"{RPC_CONTEXT}.{context_field}")
    except DecryptionError:
        message = f"{field} must be a token sealed with context {RPC_CONTEXT}.{context_field}"
        raise _bad(field, "sealed", message) from None


# --- delivery ------------------------------------------------------------------------------------------------


def _claim(deps: Deps, message_id: str | None) -> tuple[Message, int] | None:
    """Commit one due message as ``sending`` with an ``in_flight`` attempt row; None when nothing is due.

    ``message_id``: that message if it is pending (its first attempt, made by the entrypoint that recorded it)
    or its retry is due; otherwise the most overdue message."""
    session = deps.session
    now = deps.now()
    query = select(Message).where(Message.state.in_(DUE_STATES))
    if message_id is None:
        query = query.where(Message.next_attempt_at <= now)
    else:
        query = query.where(
            Message.id == message_id,
            or_(Message.state == MessageState.PENDING, Message.next_attempt_at <= now),
        )
    query = query.order_by(Message.next_attempt_at).limit(1)
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    message = session.execute(query).scalar_one_or_none()
    if message is None:
        session.rollback()
        return None
    number = message.attempts + 1
    # Compare-and-set: on a backend without row locks a concurrent claimer changes state or attempts first.
    claimed = session.execute(
        update(Message)
        .where(Message.id == message.id, Message.state == message.state, Message.attempts == message.attempts)
        .values(state=MessageState.SENDING, attempts=number, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session="evaluate")
    )
    if claimed.rowcount != 1:
        session.rollback()
        return None
    gateway = deps.gateways.for_channel(message.channel)
    session.add(
        DeliveryAttempt(
            message_id=message.id, number=number, gateway=getattr(gateway, "name", type(gateway).__name__),
            started_at=now, outcome=AttemptOutcome.IN_FLIGHT,
        )
    )
    session.commit()
    return message, number


def _hand_over(deps: Deps, message: Message) -> tuple[str, str | None]:
    """Call the gateway once; the outcome and an error text that is safe to store and publish."""
    gateway = deps.gateways.for_channel(message.channel)
    try:
        recipient = deps.cipher.decrypt(message.recipient_token, context=RECIPIENT_CONTEXT)
        text = deps.cipher.decrypt(message.text, context=TEXT_CONTEXT) if message.text_sealed else message.text
    except DecryptionError:
        return AttemptOutcome.REJECTED, "stored message does not decrypt (key missing?)"
    try:
        if message.channel == EMAIL:
            gateway.send(recipient, message.subject or "", text, message.id)
        else:
            gateway.send(recipient, text, message.id)
    except GatewayRejected as exc:
        return AttemptOutcome.REJECTED, str(exc)[:MAX_ERROR]
    except GatewayUnavailable as exc:
        return AttemptOutcome.UNAVAILABLE, str(exc)[:MAX_ERROR]
    except GatewayOutcomeUnknown as exc:
        return AttemptOutcome.UNKNOWN, str(exc)[:MAX_ERROR]
    except Exception as exc:  # an adapter bug: whether it sent is unknown, and its text may hold personal data
        return AttemptOutcome.UNKNOWN, f"gateway adapter raised {type(exc).__name__}"
    return AttemptOutcome.DELIVERED, None


def deliver(deps: Deps, message_id: str | None = None) -> Message | None:
    """Deliver one due message (``message_id``, or the most overdue one): claim, call the gateway, record.
    None when there was nothing due (another worker has it, or it is not due yet)."""
    claimed = _claim(deps, message_id)
    if claimed is None:
        return None
    message, number = claimed
    log.info("message_sending", message_id=message.id, template=message.template, channel=message.channel,
             attempt=number, correlation_id=message.correlation_id)
    outcome, error = _hand_over(deps, message)
    return record_outcome(deps, message.id, number, outcome, error)


def record_outcome(deps: Deps, message_id: str, number: int, outcome: str, error: str | None) -> Message:
    """The gateway's answer to attempt ``number``: one transaction with the next state and, when final, the
    outcome event."""
    session = deps.session
    now = deps.now()
    query = select(Message).where(Message.id == message_id)
    message = session.execute(query.with_for_update() if _is_postgresql(session) else query).scalar_one()
    attempt = session.execute(
        select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id, DeliveryAttempt.number == number)
    ).scalar_one()
    attempt.finished_at = now
    attempt.outcome = outcome
    attempt.error = error
    if message.attempts != number or message.state not in (MessageState.SENDING, MessageState.UNKNOWN):
        log.warning("message_outcome_stale", message_id=message_id, attempt=number, state=message.state)
        session.commit()
        return message
    if message.state == MessageState.UNKNOWN:
        log.warning("message_outcome_after_unknown", message_id=message_id, attempt=number, outcome=outcome)
    message.updated_at = now
    message.last_error = error
    if outcome == AttemptOutcome.DELIVERED:
        _finish(deps, message, MessageState.DELIVERED, now)
        _emit(deps, MESSAGE_DELIVERED, message, None)
    elif outcome == AttemptOutcome.UNAVAILABLE and deps.policy.after_unavailable(number) == MessageState.RETRY_WAIT:
        message.state = MessageState.RETRY_WAIT
        message.next_attempt_at = now + deps.policy.delay(number)
        _count(deps, message, "retry")
    elif outcome in (AttemptOutcome.UNAVAILABLE, AttemptOutcome.REJECTED):
        _finish(deps, message, MessageState.FAILED, now)
        _emit(deps, MESSAGE_FAILED, message, error)
    else:
        _finish(deps, message, MessageState.UNKNOWN, now)
        message.next_attempt_at = now  # due for reconciliation
    session.commit()
    _log_outcome(message, number)
    return message


def _finish(deps: Deps, message: Message, state: MessageState, now: datetime) -> None:
    message.state = state
    message.finished_at = now
    message.next_attempt_at = None
    _count(deps, message, state.value)


def _log_outcome(message: Message, number: int) -> None:
    fields = {"message_id": message.id, "template": message.template, "channel": message.channel,
              "attempt": number, "state": message.state, "error": message.last_error,
              "correlation_id": message.correlation_id}
    if message.state == MessageState.DELIVERED:
        log.info("message_delivered", **fields)
    elif message.state == MessageState.RETRY_WAIT:
        log.warning("message_retry_scheduled", next_attempt_at=message.next_attempt_at.isoformat(), **fields)
    elif message.state == MessageState.FAILED:
        log.error("message_failed", **fields)
    else:
        log.error("message_outcome_unknown", reason="the gateway could not say whether it was sent", **fields)


def sweep_stale(deps: Deps) -> int:
    """Messages ``sending`` for longer than the lease (their process died mid-send): mark them ``unknown``, report
    them and make them due for :func:`reconcile_unknown`."""
    session = deps.session
    now = deps.now()
    query = select(Message).where(
        Message.state == MessageState.SENDING, Message.updated_at < now - deps.sending_lease
    ).limit(DUE_BATCH)
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    stale = list(session.execute(query).scalars())
    for message in stale:
        message.last_error = f"outcome unknown: attempt {message.attempts} did not finish (stopped mid-send?)"
        message.updated_at = now
        _finish(deps, message, MessageState.UNKNOWN, now)
        message.next_attempt_at = now  # due for reconciliation
        for attempt in message.delivery_attempts:
            if attempt.outcome == AttemptOutcome.IN_FLIGHT:
                attempt.outcome = AttemptOutcome.UNKNOWN
                attempt.error = "no answer recorded"
    session.commit()
    for message in stale:
        log.error("message_outcome_unknown", message_id=message.id, template=message.template,
                  channel=message.channel, attempt=message.attempts, correlation_id=message.correlation_id,
                  reason="sending when its process stopped; to be reconciled with the gateway")
    return len(stale)


def _verdict(deps: Deps, message_id: str, channel: str, template: str, version: int) -> DeliveryStatus | None:
    """What the gateway says of an ``unknown`` message: its status query's answer, ``NO_RECORD`` for a template
    that resends when in doubt through a gateway without a query, None when it stays unknown."""
    status = getattr(deps.gateways.for_channel(channel), "status", None)
    if status is not None:
        return status(message_id)
    chosen = domain.template(template, channel, version)
    return DeliveryStatus.NO_RECORD if chosen.resend_when_in_doubt else None


def reconcile_unknown(deps: Deps, limit: int = DUE_BATCH) -> int:
    """Settle ``unknown`` messages that are due by notify's delivery rule (:mod:`notify.domain`): the gateway has
    it -> ``delivered`` (with ``message_delivered.v1``), it failed it -> ``failed`` (with ``message_failed.v1``),
    it has no record of it -> ``retry_wait``, due now, so the next :func:`deliver` sends it as the next attempt.
    A gateway that cannot answer is asked again after the retry delay; a message no rule settles stays
    ``unknown`` with no next time. Returns how many were settled."""
    session = deps.session
    due = session.execute(
        select(Message.id, Message.attempts, Message.channel, Message.template, Message.template_version)
        .where(Message.state == MessageState.UNKNOWN, Message.next_attempt_at <= deps.now())
        .order_by(Message.next_attempt_at)
        .limit(limit)
    ).all()
    session.rollback()  # no transaction stays open across the gateway's status queries
    settled = 0
    for message_id, attempts, channel, template, version in due:
        try:
            verdict = _verdict(deps, message_id, channel, template, version)
            error = None
        except GatewayError as exc:
            verdict, error = None, str(exc)[:MAX_ERROR]
        settled += _settle(deps, message_id, attempts, verdict, error)
    return settled


def _settle(deps: Deps, message_id: str, attempts: int, verdict: DeliveryStatus | None, error: str | None) -> int:
    session = deps.session
    now = deps.now()
    query = select(Message).where(Message.id == message_id)
    message = session.execute(query.with_for_update() if _is_postgresql(session) else query).scalar_one()
    if message.state != MessageState.UNKNOWN or message.attempts != attempts:
        session.rollback()  # another worker settled it first
        return 0
    message.updated_at = now
    attempt = next(a for a in message.delivery_attempts if a.number == attempts)
    if verdict is None:
        # Asked again later when the gateway could not answer; otherwise nothing more will tell.
        message.next_attempt_at = now + deps.policy.delay(attempts) if error else None
        if error:
            message.last_error = f"status query failed: {error}"[:MAX_ERROR]
        session.commit()
        return 0
    if verdict == DeliveryStatus.DELIVERED:
        attempt.outcome, attempt.error = AttemptOutcome.DELIVERED, "confirmed by the gateway's status query"
        message.last_error = None
        _finish(deps, message, MessageState.DELIVERED, now)
        _emit(deps, MESSAGE_DELIVERED, message, None)
    elif verdict == DeliveryStatus.FAILED:
        attempt.outcome, attempt.error = AttemptOutcome.REJECTED, "failed, says the gateway's status query"
        message.last_error = attempt.error
        _finish(deps, message, MessageState.FAILED, now)
        _emit(deps, MESSAGE_FAILED, message, message.last_error)
    else:
        attempt.outcome, attempt.error = AttemptOutcome.UNAVAILABLE, "not received, says the gateway"
        message.last_error = attempt.error
        message.state = MessageState.RETRY_WAIT
        message.next_attempt_at = now
        message.finished_at = None
        _count(deps, message, "resend")
    session.commit()
    log.warning("message_reconciled", message_id=message.id, template=message.template, channel=message.channel,
                attempt=attempts, verdict=str(verdict), state=message.state, correlation_id=message.correlation_id)
    return 1


def deliver_due(deps: Deps, limit: int = DUE_BATCH) -> int:
    """The timer's work: sweep stale sends, reconcile unknown ones, then deliver due messages (pending and
    retry_wait) one by one."""
    sweep_stale(deps)
    reconcile_unknown(deps, limit)
    done = 0
    while done < limit and deliver(deps) is not None:
        done += 1
    return done


# --- events out, views -----------------------------------------------------------------------------------------


def _emit(deps: Deps, event_type: str, message: Message, error: str | None) -> None:
    data = {
        "message_id": message.id,
        "correlation_id": message.correlation_id,
        "cause_event_id": message.cause_id,
        "channel": message.channel,
        "template": message.template,
        "template_version": message.template_version,
        "recipient_hmac": message.recipient_hmac,
        "attempts": message.attempts,
        "at": deps.now().isoformat(),
        "error": error,
    }
    enqueue(deps.session, outbox, make_envelope(event_type, SERVICE, data, message.correlation_id))


def get_message(deps: Deps, message_id: str) -> Message:
    return deps.session.execute(select(Message).where(Message.id == message_id)).scalar_one()


def _masked_recipient(deps: Deps, message: Message) -> str:
    try:
        plain = deps.cipher.decrypt(message.recipient_token, context=RECIPIENT_CONTEXT)
    except DecryptionError:
        return "<unreadable>"
    return mask_field(domain.recipient_kind(message.channel), plain)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
        "next_attempt_at": _iso(message.next_attempt_at),
        "created_at": _iso(message.created_at),
        "finished_at": _iso(message.finished_at),
        "delivery_attempts": [
            {"number": a.number, "gateway": a.gateway, "started_at": _iso(a.started_at),
             "finished_at": _iso(a.finished_at), "outcome": a.outcome, "error": a.error}
            for a in message.delivery_attempts
        ],
    }


def list_messages(deps: Deps, correlation_id: str) -> dict:
    rows = deps.session.execute(
        select(Message).where(Message.correlation_id == correlation_id).order_by(Message.created_at, Message.id)
    ).scalars()
    return {"correlation_id": correlation_id, "messages": [message_view(deps, m) for m in rows]}
