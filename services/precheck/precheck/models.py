"""SQLAlchemy records of the precheck service (its own database; design.md §1, §5).

A case is one pre-verification of one submission (filing id, version, attempt), with the submission it
received. Personal data appears only as keyed HMACs and field-encryption tokens.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform.calendar import calendar_years_table
from shared.platform.db import UtcDateTime
from shared.platform.idempotency import idempotency_keys_table, processed_events_table
from shared.platform.outbox import outbox_table


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("filing_id", "version", "attempt"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(4))
    state: Mapped[str] = mapped_column(String(24), index=True)
    sponsor_hmac: Mapped[str] = mapped_column(String(64), index=True)
    mobile_hmac: Mapped[str] = mapped_column(String(64), index=True)
    mobile_token: Mapped[str] = mapped_column(Text)
    submission: Mapped[dict | None] = mapped_column(JSON)
    """The submission received, personal fields sealed under ``precheck.submission`` (for precheck_passed.v2);
    None for a case received before precheck kept it (migration 0002)."""
    findings: Mapped[list] = mapped_column(JSON)
    rulebook_version: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    near_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_provisional: Mapped[bool] = mapped_column(Boolean)
    deadline_years: Mapped[list] = mapped_column(JSON)
    near_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    breached_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Confirmation(Base):
    """A contact to confirm with a one-time code (P2): the code only as a salted hash."""

    __tablename__ = "confirmations"
    __table_args__ = (UniqueConstraint("case_id", "channel"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient_hmac: Mapped[str] = mapped_column(String(64), index=True)
    recipient_token: Mapped[str] = mapped_column(Text)
    code_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    tries: Mapped[int] = mapped_column(Integer, default=0)
    send_times: Mapped[list] = mapped_column(JSON, default=list)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


calendar_years = calendar_years_table(Base.metadata)
outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
idempotency_keys = idempotency_keys_table(Base.metadata)
