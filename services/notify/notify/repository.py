"""Notify's persistence behind a port (issue 18; design.md §2): the messages and their delivery attempts as a
SQLAlchemy repository, and the unit of work that holds it with the outbox.

Use cases see only these methods; their unit tests use the in-memory repository of ``tests/fakes.py``, which keeps
the same contracts (the at-most-once key, the due order, the compare-and-set claim).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notify.domain import DUE_STATES, MessageState
from notify.models import DeliveryAttempt, Message, outbox
from shared.platform.unit_of_work import SqlUnitOfWork


class MessageRepository:
    def __init__(self, session: Session):
        self.session = session

    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def get(self, message_id: str, *, lock: bool = False) -> Message:
        """The message ``message_id``; ``lock`` holds it until the commit (on PostgreSQL)."""
        query = select(Message).where(Message.id == message_id)
        return self.session.execute(query.with_for_update() if lock and self._postgresql() else query).scalar_one()

    def find(self, cause_id: str, recipient_hmac: str, template: str) -> Message | None:
        return self.session.execute(select(Message).where(
            Message.cause_id == cause_id, Message.recipient_hmac == recipient_hmac, Message.template == template,
        )).scalar_one_or_none()

    def add_once(self, message: Message) -> tuple[Message, bool]:
        """Add ``message`` unless its at-most-once key exists (``created`` False, the existing one returned); a
        concurrent twin loses on the UNIQUE constraint."""
        existing = self.find(message.cause_id, message.recipient_hmac, message.template)
        if existing is not None:
            return existing, False
        try:
            with self.session.begin_nested():
                self.session.add(message)
        except IntegrityError:
            existing = self.find(message.cause_id, message.recipient_hmac, message.template)
            if existing is None:
                raise
            return existing, False
        return message, True

    def of_correlation(self, correlation_id: str) -> list[Message]:
        """A filing's messages, oldest first."""
        return list(self.session.execute(select(Message).where(Message.correlation_id == correlation_id)
                                         .order_by(Message.created_at, Message.id)).scalars())

    def next_due(self, now: datetime, message_id: str | None = None) -> Message | None:
        """The most overdue due message, or ``message_id`` if it is pending or its retry is due; on PostgreSQL a
        message another worker holds is skipped (it delivers it)."""
        query = select(Message).where(Message.state.in_(DUE_STATES))
        if message_id is None:
            query = query.where(Message.next_attempt_at <= now)
        else:
            query = query.where(Message.id == message_id,
                                or_(Message.state == MessageState.PENDING, Message.next_attempt_at <= now))
        query = query.order_by(Message.next_attempt_at).limit(1)
        if self._postgresql():
            query = query.with_for_update(skip_locked=True)
        return self.session.execute(query).scalar_one_or_none()

    def claim(self, message: Message, state: MessageState, attempts: int, now: datetime) -> bool:
        """Compare-and-set ``message`` to ``state`` / ``attempts`` if nobody changed its state or attempts since
        it was read (on a backend without row locks a concurrent claimer may have); False when it lost."""
        claimed = self.session.execute(
            update(Message)
            .where(Message.id == message.id, Message.state == message.state, Message.attempts == message.attempts)
            .values(state=state, attempts=attempts, next_attempt_at=None, updated_at=now)
            .execution_options(synchronize_session="evaluate")
        )
        return claimed.rowcount == 1

    def stale_sending(self, before: datetime, limit: int) -> list[Message]:
        """Messages ``sending`` since before ``before``; rows another worker holds are skipped on PostgreSQL."""
        query = select(Message).where(Message.state == MessageState.SENDING, Message.updated_at < before).limit(limit)
        if self._postgresql():
            query = query.with_for_update(skip_locked=True)
        return list(self.session.execute(query).scalars())

    def unknown_due(self, now: datetime, limit: int) -> list[tuple[str, int, str, str, int]]:
        """``(id, attempts, channel, template, template_version)`` of the ``unknown`` messages due for
        reconciliation, most overdue first."""
        return [tuple(row) for row in self.session.execute(
            select(Message.id, Message.attempts, Message.channel, Message.template, Message.template_version)
            .where(Message.state == MessageState.UNKNOWN, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at).limit(limit)).all()]

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.session.add(attempt)

    def attempt(self, message_id: str, number: int) -> DeliveryAttempt:
        return self.session.execute(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == message_id, DeliveryAttempt.number == number)).scalar_one()


class NotifyUnitOfWork(SqlUnitOfWork):
    def __init__(self, session: Session):
        super().__init__(session, outbox, "notify")
        self.messages = MessageRepository(session)
