"""What notify's use cases share (design.md §2, §5): the contexts personal data is sealed under, the limits of the
delivery protocol, the collaborators (:class:`Deps`) and the outcome counter."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from notify.dependencies import GatewaySet
from notify.domain import (
    RetryPolicy,
)
from notify.models import Message

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


def count(deps: Deps, message: Message, outcome: str) -> None:
    if deps.metrics is not None:
        deps.metrics.counter(
            "icp_notify_message_outcomes_total",
            "Message outcomes: delivered, retry, failed, unknown (a send whose result nobody knows).",
            ("channel", "template", "outcome"),
        ).labels(message.channel, message.template, outcome).inc()


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
