"""In-memory repository of notify (``notify.repository``'s port) for the unit tier: the same methods, order and
filters as the SQL one, over lists of the same records, so that a use case runs without a database; a scripted
gateway; and precheck's pass event recorded as its handler records it, for the delivery tests of both tiers."""

from __future__ import annotations

import uuid
from datetime import datetime

from notify.domain import DUE_STATES, MessageState
from notify.models import DeliveryAttempt, Message
from notify.usecases import events
from shared.testing.fakes import FakeUnitOfWork


def _due_by(message: Message, now: datetime) -> bool:
    return message.next_attempt_at is not None and message.next_attempt_at <= now


class FakeMessages:
    def __init__(self):
        self.rows: list[Message] = []

    def get(self, message_id: str, *, lock: bool = False) -> Message:
        [message] = [m for m in self.rows if m.id == message_id]
        return message

    def find(self, cause_id: str, recipient_hmac: str, template: str) -> Message | None:
        return next((m for m in self.rows
                     if (m.cause_id, m.recipient_hmac, m.template) == (cause_id, recipient_hmac, template)), None)

    def add_once(self, message: Message) -> tuple[Message, bool]:
        existing = self.find(message.cause_id, message.recipient_hmac, message.template)
        if existing is not None:
            return existing, False
        self.rows.append(message)
        return message, True

    def of_correlation(self, correlation_id: str) -> list[Message]:
        return sorted((m for m in self.rows if m.correlation_id == correlation_id), key=lambda m: (m.created_at, m.id))

    def next_due(self, now: datetime, message_id: str | None = None) -> Message | None:
        due = [m for m in self.rows if m.state in DUE_STATES and (
            _due_by(m, now) if message_id is None
            else m.id == message_id and (m.state == MessageState.PENDING or _due_by(m, now)))]
        return min(due, key=lambda m: m.next_attempt_at or datetime.max.replace(tzinfo=now.tzinfo), default=None)

    def claim(self, message: Message, state: MessageState, attempts: int, now: datetime) -> bool:
        message.state, message.attempts, message.next_attempt_at, message.updated_at = state, attempts, None, now
        return True

    def stale_sending(self, before: datetime, limit: int) -> list[Message]:
        return [m for m in self.rows if m.state == MessageState.SENDING and m.updated_at < before][:limit]

    def unknown_due(self, now: datetime, limit: int) -> list[tuple[str, int, str, str, int]]:
        due = sorted((m for m in self.rows if m.state == MessageState.UNKNOWN and _due_by(m, now)),
                     key=lambda m: m.next_attempt_at)
        return [(m.id, m.attempts, m.channel, m.template, m.template_version) for m in due[:limit]]

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.get(attempt.message_id).delivery_attempts.append(attempt)

    def attempt(self, message_id: str, number: int) -> DeliveryAttempt:
        [attempt] = [a for a in self.get(message_id).delivery_attempts if a.number == number]
        return attempt


class FakeNotifyUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__("notify")
        self.messages = FakeMessages()


class ScriptedGateway:
    """Answers each send with the next scripted exception (None: accepted), then accepts."""

    name = "scripted"

    def __init__(self, *script):
        self.script = list(script)
        self.sent: list[tuple] = []

    def send(self, to, *rest):
        self.sent.append((to, *rest))
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step


MOBILE = "13800138000"
FILING = "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10"


def outcome_data(crypto, mobile: str = MOBILE) -> dict:
    """``precheck_passed.v1``'s data for ``FILING`` with ``mobile`` sealed as precheck seals it."""
    return {"filing_id": FILING, "version": 1, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
            "decided_by": "precheck:auto", "reasons": [], "rulebook_version": "2026.1",
            "mobile": crypto.cipher().encrypt(mobile, context="event.mobile")}


def record_pass(deps, crypto, event_id: str | None = None, mobile: str = MOBILE) -> str | None:
    """The pass handler's recording (its commit included): the message id to deliver, or None."""
    message_id = events.on_precheck_outcome(deps.uow, deps.recorder, event_id or str(uuid.uuid4()), FILING,
                                            outcome_data(crypto, mobile), passed=True)
    deps.uow.commit()
    return message_id
