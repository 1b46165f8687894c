"""SQLAlchemy records of the bureau service (its own database, one province per deployment; design.md §1, §5).

A review is one submission (filing id, version, submission) sent by an access provider. Personal fields of the
filing are stored sealed with the bureau's own keys (context ``bureau.<path>``); the public fields of approved
filings are copied to ``filing_numbers`` and ``websites`` for the public query.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform.calendar import calendar_years_table
from shared.platform.db import UtcDateTime
from shared.platform.idempotency import idempotency_keys_table, processed_events_table
from shared.platform.outbox import outbox_table


class Base(DeclarativeBase):
    pass


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("filing_id", "version", "submission"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    submission: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    province: Mapped[str] = mapped_column(String(4))
    change_of: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), index=True)
    filing: Mapped[dict] = mapped_column(JSON)
    evidence: Mapped[dict] = mapped_column(JSON)
    corrections: Mapped[list] = mapped_column(JSON)
    form_check: Mapped[dict] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_by: Mapped[str] = mapped_column(String(120))
    verified_by: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    near_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_provisional: Mapped[bool] = mapped_column(Boolean)
    deadline_years: Mapped[list] = mapped_column(JSON)
    near_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    breached_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    filing_number: Mapped[str | None] = mapped_column(String(40))
    # X2: the MIIT SMS check (None: received without it); the code is kept as a keyed digest, never in plain
    miit_state: Mapped[str | None] = mapped_column(String(16), index=True)
    miit_code: Mapped[str | None] = mapped_column(String(64))
    miit_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    miit_tries: Mapped[int] = mapped_column(Integer, default=0)
    miit_resends: Mapped[int] = mapped_column(Integer, default=0)
    miit_reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NumberCounter(Base):
    """The last serial issued in a province and year: incremented in the approving transaction, so numbers are
    unique, gap-free when an approval fails (its increment rolls back) and never reused (P8, requirements §4)."""

    __tablename__ = "number_counters"

    province: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class FilingNumberRecord(Base):
    """A sponsor's filing number with the public fields shown by the public query; retired, never deleted.

    X1: one sponsor has one number in its province, whichever filings and providers its websites came through:
    ``sponsor_key`` is the keyed digest of its document (never the number itself, ADR 0006), unique among active
    numbers; ``filing_id`` is the filing that first got the number. ``name_key`` is a unit's normalised name for
    the public query (X9); an individual has none."""

    __tablename__ = "filing_numbers"
    __table_args__ = (Index("uq_filing_numbers_active_sponsor", "sponsor_key", unique=True,
                            postgresql_where=text("retired_at IS NULL"), sqlite_where=text("retired_at IS NULL")),)

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    sponsor_key: Mapped[str | None] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(64))
    sponsor_kind: Mapped[str] = mapped_column(String(16))
    sponsor_name: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(String(200), index=True)
    highest_site: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retired_reason: Mapped[str | None] = mapped_column(String(200))


class Website(Base):
    """One domain of an approved website and its website number ``…号-k``."""

    __tablename__ = "websites"

    domain_ascii: Mapped[str] = mapped_column(String(253), primary_key=True)
    domain_unicode: Mapped[str] = mapped_column(String(253))
    filing_number: Mapped[str] = mapped_column(ForeignKey("filing_numbers.number"), index=True)
    website_number: Mapped[str] = mapped_column(String(44), index=True)
    name: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebsiteAccess(Base):
    """X1: a provider that hosts (接入) an approved website, through which of its filings. A website may be hosted
    by several providers (新增接入 adds one); a website no provider hosts any more is retired (取消接入)."""

    __tablename__ = "website_accesses"

    domain_ascii: Mapped[str] = mapped_column(ForeignKey("websites.domain_ascii"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class QueryCount(Base):
    """X9: public queries of one client in one window, shared by every replica. ``client`` is a keyed digest of
    the client's address, never the address."""

    __tablename__ = "public_query_counts"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


class EvidenceAccess(Base):
    """B1: who opened which piece of evidence, when, through a link valid for how long."""

    __tablename__ = "evidence_accesses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), index=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    item: Mapped[str] = mapped_column(String(64))
    bucket: Mapped[str] = mapped_column(String(63))
    key: Mapped[str] = mapped_column(String(1024))
    viewer: Mapped[str] = mapped_column(String(120))
    accessed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_in: Mapped[int] = mapped_column(Integer)


class Inspection(Base):
    """B2: an inspection of a provider's verification practice, its reproducible sample and its findings."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer, index=True)
    seed: Mapped[str] = mapped_column(String(120))
    population: Mapped[int] = mapped_column(Integer)
    sample: Mapped[list] = mapped_column(JSON)
    planned_by: Mapped[str] = mapped_column(String(120))
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    findings: Mapped[list | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    recorded_by: Mapped[str | None] = mapped_column(String(120))
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Penalty(Base):
    """A1: a penalty with its order to rectify by a deadline, tracked to closure."""

    __tablename__ = "penalties"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    filing_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    issued_by: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rectify_by: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    overdue_raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closing_note: Mapped[str | None] = mapped_column(Text)


calendar_years = calendar_years_table(Base.metadata)
outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
idempotency_keys = idempotency_keys_table(Base.metadata)
