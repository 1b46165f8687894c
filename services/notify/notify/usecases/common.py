"""What notify's use cases share (design.md §2, §5): the contexts personal data is sealed under, the limits of the
delivery protocol, the collaborators use cases take (:class:`Recorder`, :class:`Courier`), the outcome counter and
the outcome events."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from notify.dependencies import GatewaySet
from notify.domain import RetryPolicy
from notify.models import Message
from notify.repository import NotifyUnitOfWork

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
PARAM_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass
class Recorder:
    """What recording a message takes: the field cipher and lookup hasher its personal data is sealed and hashed
    with (design.md §5), the exchange ring's cipher for fields other actors sealed (ADR 0001), the clock and the
    outcome counter (``shared.platform.observability.MetricsRegistry``, None: not counted)."""

    cipher: object
    hasher: object
    now: Callable[[], datetime]
    metrics: object | None = None
    exchange: object | None = None


@dataclass
class Courier:
    """What delivering a message takes: the gateways, the cipher that opens the stored recipient and text, the
    retry policy, the longest a gateway call can take (``sending_lease``), the clock and the outcome counter."""

    cipher: object
    gateways: GatewaySet
    policy: RetryPolicy
    sending_lease: timedelta
    now: Callable[[], datetime]
    metrics: object | None = None


def count(metrics, message: Message, outcome: str) -> None:
    """``icp_notify_message_outcomes_total`` by channel, template and outcome (``metrics`` None: not counted)."""
    if metrics is not None:
        metrics.counter(
            "icp_notify_message_outcomes_total",
            "Message outcomes: delivered, retry, failed, unknown (a send whose result nobody knows).",
            ("channel", "template", "outcome"),
        ).labels(message.channel, message.template, outcome).inc()


def emit(uow: NotifyUnitOfWork, event_type: str, message: Message, error: str | None, now: datetime) -> None:
    """``message_delivered.v1`` / ``message_failed.v1`` about ``message``, in the unit of work's outbox."""
    uow.emit(event_type, {
        "message_id": message.id,
        "correlation_id": message.correlation_id,
        "cause_event_id": message.cause_id,
        "channel": message.channel,
        "template": message.template,
        "template_version": message.template_version,
        "recipient_hmac": message.recipient_hmac,
        "attempts": message.attempts,
        "at": now.isoformat(),
        "error": error,
    }, message.correlation_id)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
