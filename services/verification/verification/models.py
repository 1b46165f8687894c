"""SQLAlchemy records of the verification service (its own database; design.md §1, §5).

A *submission* is intake's filing as submitted (personal fields sealed for this store); a *case* is one on-site
verification of one submission (window, checks, corrections, decision); *evidence* is every object kept under
Object Lock for the sponsor's file (W4), and *evidence_accesses* records who listed, opened or exported it.
*steps* records every on-site action with the staff member who took it (W1). *staff* is the provider's
verification department (who, which roles, the supervisor responsible) and *quality_records* every fact that
measures a staff member's filing quality for the annual assessment (W1).
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


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("filing_id", "version", "attempt"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(4))
    change_of: Mapped[str | None] = mapped_column(String(40))
    sponsor_hmac: Mapped[str] = mapped_column(String(64), index=True)
    filing: Mapped[dict] = mapped_column(JSON, comment="personal fields sealed under verification.<path>")
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    sponsor_hmac: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="filing", server_default="filing",
                                         comment="filing (P3) or stock (W6: re-verification of an approved filing)")
    sending: Mapped[int] = mapped_column(Integer, default=1, comment="1, +1 after each bureau return (P8)")
    mobile_token: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    warn_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    appointment: Mapped[dict | None] = mapped_column(JSON)
    photo: Mapped[dict | None] = mapped_column(JSON)
    face: Mapped[dict | None] = mapped_column(JSON, comment="X8: consent, outcome, distance, threshold, decision")
    originals: Mapped[dict | None] = mapped_column(JSON, comment="personal values sealed")
    corrections: Mapped[list] = mapped_column(JSON, default=list, comment="P6; before/after sealed")
    domains: Mapped[list] = mapped_column(JSON, default=list)
    access: Mapped[dict | None] = mapped_column(JSON)
    access_reasons: Mapped[list] = mapped_column(JSON, default=list)
    agreement: Mapped[dict | None] = mapped_column(JSON)
    forms: Mapped[dict | None] = mapped_column(JSON)
    returned: Mapped[list] = mapped_column(JSON, default=list, comment="the bureau's returns with reasons (P8)")
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Step(Base):
    """One on-site action and who took it (W1: each staff member's verification work is measured)."""

    __tablename__ = "steps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    step: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class StaffMember(Base):
    """W1: a member of the provider's verification department; ``staff_id`` is the subject of the staff member's
    bearer token (what every recorded actor ``role:subject`` ends with)."""

    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text, comment="sealed under verification.staff.name")
    roles: Mapped[list] = mapped_column(JSON)
    supervisor_id: Mapped[str | None] = mapped_column(String(120), comment="the supervisor responsible")
    active: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class QualityRecord(Base):
    """W1: one fact counted in a staff member's filing quality: a decision (``precheck_decision``,
    ``onsite_decision``), a decision later ``returned`` by the bureau or ``contradicted`` by a filing-center
    finding, a ``correction`` made on site, a ``deadline_breached``. ``at`` is when the staff member acted (the
    decision a return concerns, the deadline that passed), so a period counts the work done in it; ``staff_id``
    is None for a breach nobody had claimed."""

    __tablename__ = "quality_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str | None] = mapped_column(String(120), index=True)
    actor: Mapped[str | None] = mapped_column(String(120))
    provider_id: Mapped[str] = mapped_column(String(64))
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Evidence(Base):
    """An object kept for the sponsor's file under COMPLIANCE retention (W4); never deleted by the service."""

    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    filing_id: Mapped[str] = mapped_column(String(36), index=True)
    sponsor_hmac: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    bucket: Mapped[str] = mapped_column(String(63))
    key: Mapped[str] = mapped_column(String(300))
    version_id: Mapped[str | None] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    retain_until: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EvidenceAccess(Base):
    """W4: every listing, download link and export of a sponsor's file (who, what, when)."""

    __tablename__ = "evidence_accesses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sponsor_hmac: Mapped[str] = mapped_column(String(64), index=True)
    evidence_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(20))
    viewer: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
idempotency_keys = idempotency_keys_table(Base.metadata)
calendar_years = calendar_years_table(Base.metadata)  # X4: the working days the reminder counts
