"""Delivering a recorded message (design.md §4): claim, send, record; retries, the sweep of stale sends and the
reconciliation of unknown outcomes by notify's one delivery rule.

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
leave the commit to the entrypoint, so an event's effects and its processed-event row are one transaction. The
state changes themselves are the lifecycle's transitions in :mod:`notify.domain`: each function here loads,
asks the domain, and saves.
"""
from __future__ import annotations

from datetime import datetime

from notify import domain
from notify.domain import EMAIL, AttemptOutcome, MessageState, Transition
from notify.gateways import DeliveryStatus, GatewayError, GatewayOutcomeUnknown, GatewayRejected, GatewayUnavailable
from notify.models import DeliveryAttempt, Message
from notify.repository import NotifyUnitOfWork
from notify.usecases.common import DUE_BATCH, MAX_ERROR, RECIPIENT_CONTEXT, TEXT_CONTEXT, Courier, count, emit
from shared.contracts.notify import MESSAGE_DELIVERED, MESSAGE_FAILED
from shared.platform.crypto import DecryptionError
from shared.platform.logging import get_logger

log = get_logger(__name__)


def _claim(uow: NotifyUnitOfWork, courier: Courier, message_id: str | None) -> tuple[Message, int] | None:
    """Commit one due message as ``sending`` with an ``in_flight`` attempt row; None when nothing is due.

    ``message_id``: that message if it is pending (its first attempt, made by the entrypoint that recorded it)
    or its retry is due; otherwise the most overdue message."""
    now = courier.now()
    message = uow.messages.next_due(now, message_id)
    if message is None:
        uow.rollback()
        return None
    state, number = domain.claim(message.state, message.attempts)
    if not uow.messages.claim(message, state, number, now):
        uow.rollback()
        return None
    gateway = courier.gateways.for_channel(message.channel)
    uow.messages.add_attempt(
        DeliveryAttempt(
            message_id=message.id, number=number, gateway=getattr(gateway, "name", type(gateway).__name__),
            started_at=now, outcome=AttemptOutcome.IN_FLIGHT,
        )
    )
    uow.commit()
    return message, number


def _hand_over(courier: Courier, message: Message) -> tuple[str, str | None]:
    """Call the gateway once; the outcome and an error text that is safe to store and publish."""
    gateway = courier.gateways.for_channel(message.channel)
    try:
        recipient = courier.cipher.decrypt(message.recipient_token, context=RECIPIENT_CONTEXT)
        text = courier.cipher.decrypt(message.text, context=TEXT_CONTEXT) if message.text_sealed else message.text
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


def deliver(uow: NotifyUnitOfWork, courier: Courier, message_id: str | None = None) -> Message | None:
    """Deliver one due message (``message_id``, or the most overdue one): claim, call the gateway, record.
    None when there was nothing due (another worker has it, or it is not due yet)."""
    claimed = _claim(uow, courier, message_id)
    if claimed is None:
        return None
    message, number = claimed
    log.info("message_sending", message_id=message.id, template=message.template, channel=message.channel,
             attempt=number, correlation_id=message.correlation_id)
    outcome, error = _hand_over(courier, message)
    return record_outcome(uow, courier, message.id, number, outcome, error)


def _apply(uow: NotifyUnitOfWork, courier: Courier, message: Message, change: Transition, now: datetime) -> None:
    """Save a transition the domain decided, with its count and, when reported, its outcome event."""
    message.state = change.state
    message.next_attempt_at = change.next_attempt_at
    message.updated_at = now
    if change.finished_at is not domain.KEEP:
        message.finished_at = change.finished_at
    if change.outcome is not None:
        count(courier.metrics, message, change.outcome)
    if change.reported:
        delivered = change.state == MessageState.DELIVERED
        emit(uow, MESSAGE_DELIVERED if delivered else MESSAGE_FAILED, message,
             None if delivered else message.last_error, now)


def record_outcome(uow: NotifyUnitOfWork, courier: Courier, message_id: str, number: int, outcome: str,
                   error: str | None) -> Message:
    """The gateway's answer to attempt ``number``: one transaction with the next state and, when final, the
    outcome event."""
    now = courier.now()
    message = uow.messages.get(message_id, lock=True)
    attempt = uow.messages.attempt(message_id, number)
    attempt.finished_at = now
    attempt.outcome = outcome
    attempt.error = error
    if message.attempts != number or message.state not in (MessageState.SENDING, MessageState.UNKNOWN):
        log.warning("message_outcome_stale", message_id=message_id, attempt=number, state=message.state)
        uow.commit()
        return message
    if message.state == MessageState.UNKNOWN:
        log.warning("message_outcome_after_unknown", message_id=message_id, attempt=number, outcome=outcome)
    message.last_error = error
    _apply(uow, courier, message, domain.after_attempt(outcome, number, courier.policy, now), now)
    uow.commit()
    _log_outcome(message, number)
    return message


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


def sweep_stale(uow: NotifyUnitOfWork, courier: Courier) -> int:
    """Messages ``sending`` for longer than the lease (their process died mid-send): mark them ``unknown``, report
    them and make them due for :func:`reconcile_unknown`."""
    now = courier.now()
    stale = uow.messages.stale_sending(now - courier.sending_lease, DUE_BATCH)
    for message in stale:
        message.last_error = f"outcome unknown: attempt {message.attempts} did not finish (stopped mid-send?)"
        _apply(uow, courier, message, domain.stale(now), now)
        for attempt in message.delivery_attempts:
            if attempt.outcome == AttemptOutcome.IN_FLIGHT:
                attempt.outcome = AttemptOutcome.UNKNOWN
                attempt.error = "no answer recorded"
    uow.commit()
    for message in stale:
        log.error("message_outcome_unknown", message_id=message.id, template=message.template,
                  channel=message.channel, attempt=message.attempts, correlation_id=message.correlation_id,
                  reason="sending when its process stopped; to be reconciled with the gateway")
    return len(stale)


def _verdict(courier: Courier, message_id: str, channel: str, template: str, version: int) -> DeliveryStatus | None:
    """What the gateway says of an ``unknown`` message: its status query's answer, ``NO_RECORD`` for a template
    that resends when in doubt through a gateway without a query, None when it stays unknown."""
    status = getattr(courier.gateways.for_channel(channel), "status", None)
    if status is not None:
        return status(message_id)
    chosen = domain.template(template, channel, version)
    return DeliveryStatus.NO_RECORD if chosen.resend_when_in_doubt else None


def reconcile_unknown(uow: NotifyUnitOfWork, courier: Courier, limit: int = DUE_BATCH) -> int:
    """Settle ``unknown`` messages that are due by notify's delivery rule (:mod:`notify.domain`): the gateway has
    it -> ``delivered`` (with ``message_delivered.v1``), it failed it -> ``failed`` (with ``message_failed.v1``),
    it has no record of it -> ``retry_wait``, due now, so the next :func:`deliver` sends it as the next attempt.
    A gateway that cannot answer is asked again after the retry delay; a message no rule settles stays
    ``unknown`` with no next time. Returns how many were settled."""
    due = uow.messages.unknown_due(courier.now(), limit)
    uow.rollback()  # no transaction stays open across the gateway's status queries
    settled = 0
    for message_id, attempts, channel, template, version in due:
        try:
            verdict = _verdict(courier, message_id, channel, template, version)
            error = None
        except GatewayError as exc:
            verdict, error = None, str(exc)[:MAX_ERROR]
        settled += _settle(uow, courier, message_id, attempts, verdict, error)
    return settled


def _settle(uow: NotifyUnitOfWork, courier: Courier, message_id: str, attempts: int,
            verdict: DeliveryStatus | None, error: str | None) -> int:
    now = courier.now()
    message = uow.messages.get(message_id, lock=True)
    if message.state != MessageState.UNKNOWN or message.attempts != attempts:
        uow.rollback()  # another worker settled it first
        return 0
    message.updated_at = now
    if verdict is None:
        # Asked again later when the gateway could not answer; otherwise nothing more will tell.
        message.next_attempt_at = now + courier.policy.delay(attempts) if error else None
        if error:
            message.last_error = f"status query failed: {error}"[:MAX_ERROR]
        uow.commit()
        return 0
    change, outcome, note = domain.after_reconciliation(verdict, now)
    attempt = next(a for a in message.delivery_attempts if a.number == attempts)
    attempt.outcome, attempt.error = outcome, note
    message.last_error = None if change.state == MessageState.DELIVERED else note
    _apply(uow, courier, message, change, now)
    uow.commit()
    log.warning("message_reconciled", message_id=message.id, template=message.template, channel=message.channel,
                attempt=attempts, verdict=str(verdict), state=message.state, correlation_id=message.correlation_id)
    return 1


def deliver_due(uow: NotifyUnitOfWork, courier: Courier, limit: int = DUE_BATCH) -> int:
    """The timer's work: sweep stale sends, reconcile unknown ones, then deliver due messages (pending and
    retry_wait) one by one."""
    sweep_stale(uow, courier)
    reconcile_unknown(uow, courier, limit)
    done = 0
    while done < limit and deliver(uow, courier) is not None:
        done += 1
    return done
