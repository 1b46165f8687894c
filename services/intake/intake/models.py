"""SQLAlchemy records of the intake service (its own database; design.md §1, §5).

Personal fields inside ``FilingVersion.data`` are field-encryption tokens; the HMAC columns on
``Filing`` allow equality lookups without decrypting.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform.db import UtcDateTime
from shared.platform.idempotency import idempotency_keys_table, processed_events_table
from shared.platform.outbox import outbox_table


class Base(DeclarativeBase):
    pass


class Filing(Base):
    __tablename__ = "filings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    approved_version: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    filing_number: Mapped[str | None] = mapped_column(String(40))
    sponsor_kind: Mapped[str | None] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(4))
    person_document_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    mobile_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    draft_reminders: Mapped[int] = mapped_column(Integer, default=0)


class FilingVersion(Base):
    """One version of a filing's data; a change (备案变更) of an approved filing is a new version."""

    __tablename__ = "filing_versions"
    __table_args__ = (UniqueConstraint("filing_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TimelineEntry(Base):
    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list] = mapped_column(JSON, default=list)


class DocumentScan(Base):
    """An uploaded scan; the bytes live in object storage, never in this database (design.md §1)."""

    __tablename__ = "document_scans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    bucket: Mapped[str] = mapped_column(String(63))
    key: Mapped[str] = mapped_column(String(300))
    version_id: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reading: Mapped[dict | None] = mapped_column(JSON)  # X7: OCR's reading, its values sealed


class ContractAcceptance(Base):
    """W3: who accepted which clause text (by hash) for which version, and when."""

    __tablename__ = "contract_acceptances"
    __table_args__ = (UniqueConstraint("filing_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    clause_sha256: Mapped[str] = mapped_column(String(64))
    accepted_by: Mapped[str] = mapped_column(String(120))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApprovedSite(Base):
    """P8: a domain the provider may connect, because its filing is approved (no personal data)."""

    __tablename__ = "approved_sites"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True, comment="ASCII (punycode) form")
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    website_number: Mapped[str] = mapped_column(String(48))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SitesRevision(Base):
    """The approved-sites list's revision: one row, bumped with every change, so a proxy knows it is current."""

    __tablename__ = "approved_sites_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Revisit(Base):
    """W5: one regular revisit of an approved sponsor: ``scheduled`` until ``due_at``, then ``open`` (the sponsor
    was asked to confirm or update by ``answer_by``), ``escalated`` to staff when unanswered by then, and
    ``confirmed`` or ``updated`` once answered; ``closed`` when the filing was cancelled first."""

    __tablename__ = "revisits"
    __table_args__ = (Index("ix_revisits_state_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_by: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(120))


class StockImport(Base):
    """W6: one import of stock filings (a CSV file): its counts and the rejected rows (line, field, rule)."""

    __tablename__ = "stock_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    request_key: Mapped[str | None] = mapped_column(String(250), unique=True, comment="actor:Idempotency-Key")
    source: Mapped[str] = mapped_column(String(250))
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    already_imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejections: Mapped[list] = mapped_column(JSON, default=list)


class StockReverification(Base):
    """W6: the plan for one stock filing, keyed by its filing number (so a re-run imports nothing twice):
    ``pending`` until ``onsite_verified.v1`` makes it ``done``; overdue when pending past ``deadline``."""

    __tablename__ = "stock_reverifications"
    __table_args__ = (Index("ix_stock_reverifications_progress", "provider_id", "state", "deadline"),)

    filing_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), unique=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    import_id: Mapped[str] = mapped_column(ForeignKey("stock_imports.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SignInCode(Base):
    """P1: a one-time code sent by SMS for a sponsor's sign-in; only digests are kept (issue 8).

    ``mobile_hmac`` and ``client_hmac`` (the caller's address) are keyed HMACs, so the rate limits per number
    and per client count rows without either value being stored.
    """

    __tablename__ = "sign_in_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mobile_hmac: Mapped[str] = mapped_column(String(64), index=True)
    client_hmac: Mapped[str] = mapped_column(String(64), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())



class DocumentAccess(Base):
    """W4, B1: every time somebody opened a scan — who (the verified actor and role), which, when."""

    __tablename__ = "document_accesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("document_scans.id"), index=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    accessed_by: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(24))
    accessed_at: Mapped[datetime] = mapped_column(UtcDateTime())

class PersonalDataAccess(Base):
    """W4, B1 (issue 17): every time a member of staff opened one personal value of a filing in full — who (the
    verified actor and role), which field of which version, when. Staff see personal data masked otherwise."""

    __tablename__ = "personal_data_accesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("filings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    accessed_by: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(24))
    accessed_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
idempotency_keys = idempotency_keys_table(Base.metadata)
