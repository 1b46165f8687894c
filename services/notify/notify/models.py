"""SQLAlchemy records of the notify service (its own database; design.md §1, §5).

A ``Message`` is one text for one recipient because of one cause (an event id, or ``rpc:<idempotency key>``).
``UNIQUE (cause_id, recipient_hmac, template)`` is the at-most-once key: however often the cause is delivered,
there is one row, and a row is handed to a gateway only from ``pending`` or ``retry_wait``.

The recipient is stored as a field-encryption token (``notify.recipient``) and as a keyed HMAC; a rendered text
that carries a secret (a one-time code) is stored as a token (``notify.text``), ``text_sealed`` says which.
Every hand-over to a gateway is a ``DeliveryAttempt`` row, committed before the gateway is called.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.platform.db import UtcDateTime
from shared.platform.idempotency import processed_events_table
from shared.platform.outbox import outbox_table


class Base(DeclarativeBase):
    pass


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("cause_id", "recipient_hmac", "template", name="uq_messages_once"),
        Index("ix_messages_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cause_id: Mapped[str] = mapped_column(String(160), comment="event id, or rpc:<idempotency key>")
    correlation_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(60))
    template_version: Mapped[int] = mapped_column(Integer)
    recipient_hmac: Mapped[str] = mapped_column(String(64), index=True)
    recipient_token: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_sealed: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    delivery_attempts: Mapped[list["DeliveryAttempt"]] = relationship(
        order_by="DeliveryAttempt.number", lazy="selectin", back_populates="message"
    )


class DeliveryAttempt(Base):
    """One hand-over to a gateway and what came of it (``in_flight`` until the gateway answers)."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("message_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    gateway: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(200))

    message: Mapped[Message] = relationship(back_populates="delivery_attempts")


outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
