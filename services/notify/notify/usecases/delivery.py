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
leave the commit to the entrypoint, so an event's effects and its processed-event row are one transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from notify import domain
from notify.domain import (
    DUE_STATES,
    EMAIL,
    AttemptOutcome,
    MessageState,
)
from notify.gateways import DeliveryStatus, GatewayError, GatewayOutcomeUnknown, GatewayRejected, GatewayUnavailable
from notify.models import DeliveryAttempt, Message, outbox
from notify.usecases.common import (
    DUE_BATCH,
    MAX_ERROR,
    RECIPIENT_CONTEXT,
    SERVICE,
    TEXT_CONTEXT,
    Deps,
    count,
    is_postgresql,
)
from shared.contracts.envelope import make_envelope
from shared.contracts.notify import MESSAGE_DELIVERED, MESSAGE_FAILED
from shared.platform.crypto import DecryptionError
from shared.platform.logging import get_logger
from shared.platform.outbox import enqueue

log = get_logger(__name__)


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
    if is_postgresql(session):
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
    message = session.execute(query.with_for_update() if is_postgresql(session) else query).scalar_one()
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
        emit(deps, MESSAGE_DELIVERED, message, None)
    elif outcome == AttemptOutcome.UNAVAILABLE and deps.policy.after_unavailable(number) == MessageState.RETRY_WAIT:
        message.state = MessageState.RETRY_WAIT
        message.next_attempt_at = now + deps.policy.delay(number)
        count(deps, message, "retry")
    elif outcome in (AttemptOutcome.UNAVAILABLE, AttemptOutcome.REJECTED):
        _finish(deps, message, MessageState.FAILED, now)
        emit(deps, MESSAGE_FAILED, message, error)
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
    count(deps, message, state.value)


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
    if is_postgresql(session):
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
    message = session.execute(query.with_for_update() if is_postgresql(session) else query).scalar_one()
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
        emit(deps, MESSAGE_DELIVERED, message, None)
    elif verdict == DeliveryStatus.FAILED:
        attempt.outcome, attempt.error = AttemptOutcome.REJECTED, "failed, says the gateway's status query"
        message.last_error = attempt.error
        _finish(deps, message, MessageState.FAILED, now)
        emit(deps, MESSAGE_FAILED, message, message.last_error)
    else:
        attempt.outcome, attempt.error = AttemptOutcome.UNAVAILABLE, "not received, says the gateway"
        message.last_error = attempt.error
        message.state = MessageState.RETRY_WAIT
        message.next_attempt_at = now
        message.finished_at = None
        count(deps, message, "resend")
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


def emit(deps: Deps, event_type: str, message: Message, error: str | None) -> None:
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
