"""SQLAlchemy records of the audit service, the filing center's own database (design.md §1, §5).

Personal data is held only sealed with the filing center's own ``FIELD_KEYS``: the responsible person's ID
number as ``id_sealed`` bytes (``nonce | ciphertext | tag`` of AES-256-GCM, key version in ``id_key_version``,
readable in bulk by ``audit.bulk``; docs/decisions/0003), names and mobiles as field-encryption tokens, lookups as
keyed HMACs. The trail keeps envelopes as published: their personal fields are sealed by their producers.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform.db import UtcDateTime
from shared.platform.idempotency import idempotency_keys_table, processed_events_table
from shared.platform.outbox import outbox_table


class Base(DeclarativeBase):
    pass


class TrailEntryRecord(Base):
    """One lifecycle event in the append-only, hash-chained audit trail."""

    __tablename__ = "trail_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(80), index=True)
    source: Mapped[str] = mapped_column(String(64))
    correlation_id: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[str] = mapped_column(String(40), comment="meta.occurred_at exactly as published")
    body: Mapped[dict] = mapped_column(JSON, comment="the envelope's data; personal fields sealed by the producer")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StockFiling(Base):
    """An approved filing in the stock the filing center checks (P9, P10) and counts (C4)."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("filing_id", "version"),
        # The few filings the bulk check cannot take (not a resident ID, or stored at another length) are found
        # through this small partial index instead of a second scan of the stock (audit.bulk).
        Index("ix_stock_other_documents", "pk",
              postgresql_where=text("document_type <> 'resident_id' OR octet_length(id_sealed) <> 46")),
    )

    pk: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    filing_number: Mapped[str] = mapped_column(String(40))
    provider_id: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(4))
    sponsor_kind: Mapped[str] = mapped_column(String(12))
    unit_type: Mapped[str | None] = mapped_column(String(40))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    document_type: Mapped[str] = mapped_column(String(32))
    id_key_version: Mapped[int] = mapped_column(SmallInteger)
    id_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-256-GCM nonce|ciphertext|tag, FIELD_KEYS")
    id_hmac: Mapped[str] = mapped_column(String(64), index=True)
    name_token: Mapped[str] = mapped_column(Text)
    mobile_token: Mapped[str] = mapped_column(Text)
    sites: Mapped[list] = mapped_column(JSON, comment="the filed domains, ASCII form")


class StockSite(Base):
    """A filed domain (ASCII form) of a filing in the stock, for the filing rate against inventories (P10)."""

    __tablename__ = "stock_sites"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    stock_pk: Mapped[int] = mapped_column(ForeignKey("stock.pk"))
    provider_id: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime(), comment="the filing's, so the rate needs no join")

    __table_args__ = (Index("ix_stock_sites_provider_domain", "provider_id", "domain", "approved_at"),)


class CheckResult(Base):
    """The outcome of one check of one filing, with the rules version it applied (C3). The automatic check on
    arrival writes one per filing version; a batch run of the stock writes only the filings it flags."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    stock_pk: Mapped[int] = mapped_column(ForeignKey("stock.pk"), index=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("check_runs.id"), index=True)
    check: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    codes: Mapped[str] = mapped_column(String(120), comment="reason codes, comma separated")
    rules_version: Mapped[str] = mapped_column(String(20))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CheckRun(Base):
    """A batch check of the whole stock (P9, P10): counts and the rules version; its flags are check_results."""

    __tablename__ = "check_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    flagged: Mapped[int] = mapped_column(BigInteger, default=0)
    tampered: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float | None] = mapped_column(Float)


class CheckRunCount(Base):
    """A batch run's flagged filings per province, provider and approval month (Asia/Shanghai), written by the run,
    so the quarterly report reads a few rows instead of joining every flag to the stock (P10, C2)."""

    __tablename__ = "check_run_counts"

    run_id: Mapped[str] = mapped_column(ForeignKey("check_runs.id"), primary_key=True)
    province: Mapped[str] = mapped_column(String(4), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    flagged: Mapped[int] = mapped_column(BigInteger)


class Finding(Base):
    """An ``audit_finding_raised.v1`` raised: at most one per filing version, check and rules version."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("filing_id", "version", "check", "rules_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filing_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(4))
    check: Mapped[str] = mapped_column(String(16))
    rules_version: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Sample(Base):
    """A monthly spot-check sample (C1), reproducible from its seed and rules version."""

    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("month", "seed", "rules_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    seed: Mapped[int] = mapped_column(BigInteger)
    rules_version: Mapped[str] = mapped_column(String(20))
    population: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    drawn_by: Mapped[str] = mapped_column(String(120))
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SampleItem(Base):
    """One sampled filing and the auditor's phone check of it (C1)."""

    __tablename__ = "sample_items"
    __table_args__ = (UniqueConstraint("sample_id", "stock_pk"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sample_id: Mapped[str] = mapped_column(ForeignKey("samples.id"), index=True)
    stock_pk: Mapped[int] = mapped_column(ForeignKey("stock.pk"))
    stratum: Mapped[str] = mapped_column(String(80))
    phone_result: Mapped[str | None] = mapped_column(String(20))
    checked_by: Mapped[str | None] = mapped_column(String(120))
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rules_version: Mapped[str] = mapped_column(String(20))


class HostedSite(Base):
    """A site an access provider hosts, from its latest imported inventory (P10 filing rate)."""

    __tablename__ = "hosted_sites"
    __table_args__ = (UniqueConstraint("provider_id", "domain"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    import_id: Mapped[str] = mapped_column(String(36))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Penalty(Base):
    """A bureau's penalty (A1) as the filing center summarises it (C4)."""

    __tablename__ = "penalties"

    penalty_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rectify_by: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
idempotency_keys = idempotency_keys_table(Base.metadata)


class ApprovedSite(Base):
    """X5: a domain of the provider's approved-sites list as intake announced it (``approved_sites_changed.v1``),
    with the list revision that last touched it; ``present`` false once removed."""

    __tablename__ = "approved_sites"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    present: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShellSite(Base):
    """X5: an approved site missing from its provider's inventory (``import_id``), or that the probe found
    resolving outside the provider's ranges or not answering (``addresses`` as resolved), open until
    ``cleared_at``."""

    __tablename__ = "shell_sites"
    __table_args__ = (Index("ix_shell_sites_open", "provider_id", postgresql_where=text("cleared_at IS NULL")),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253))
    import_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rectify_by: Mapped[datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cleared_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(String(32), server_default="not_in_inventory")
    addresses: Mapped[list | None] = mapped_column(JSON, nullable=True)


class SiteProbe(Base):
    """X5: the last probe of an approved domain (DNS through the configured resolver, then ``HEAD``) and since
    when it has failed without a break."""

    __tablename__ = "site_probes"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32))
    addresses: Mapped[list] = mapped_column(JSON)
    probed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
