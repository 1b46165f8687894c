"""audit's persistence behind ports (issue 18; design.md §2): SQLAlchemy repositories that map the records of
``audit.models`` to the domain's objects, the report queries, and :class:`AuditUnitOfWork`, which holds them on one
session with the outbox. Use cases see only these methods; ``services/audit/tests/fakes.py`` keeps them in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import datetime

from sqlalchemy import DateTime, cast, delete, func, select, text, update
from sqlalchemy.orm import Session

from audit import domain, models
from audit.shell_sites import PROBE_REASONS, ShellSite, SiteProbe
from shared.platform.unit_of_work import SqlUnitOfWork

SERVICE = "audit"
TRAIL_LOCK = 0x41554454  # pg advisory lock id ("AUDT"): one appender at a time keeps the chain linear


def _record(model: type, obj) -> object:
    return model(**asdict(obj))


def _domain(cls: type, record):
    return cls(**{f.name: getattr(record, f.name) for f in fields(cls)})


class TrailRepository:
    """The hash-chained trail (P9), appended by one writer at a time."""

    def __init__(self, session: Session):
        self.session = session

    def lock(self) -> None:
        """Serialise appends until the transaction ends (a transaction-scoped advisory lock on PostgreSQL), so
        each entry links to exactly the one before it."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": TRAIL_LOCK})

    def has(self, event_id: str) -> bool:
        return self.session.execute(select(models.TrailEntryRecord.seq)
                                    .where(models.TrailEntryRecord.event_id == event_id)).first() is not None

    def tip(self) -> tuple[int, str] | None:
        """``(seq, entry_hash)`` of the last entry."""
        last = self.session.execute(select(models.TrailEntryRecord.seq, models.TrailEntryRecord.entry_hash)
                                    .order_by(models.TrailEntryRecord.seq.desc()).limit(1)).first()
        return (last[0], last[1]) if last else None

    def append(self, entry: domain.TrailEntry, recorded_at: datetime) -> None:
        self.session.add(models.TrailEntryRecord(**asdict(entry), recorded_at=recorded_at))

    def entries(self, batch: int = 1000) -> Iterator[domain.TrailEntry]:
        """Every entry in ``seq`` order, read in batches."""
        after = 0
        while True:
            rows = self.session.execute(select(models.TrailEntryRecord).where(models.TrailEntryRecord.seq > after)
                                        .order_by(models.TrailEntryRecord.seq).limit(batch)).scalars().all()
            if not rows:
                return
            yield from (_domain(domain.TrailEntry, row) for row in rows)
            after = rows[-1].seq

    def penalty_entries(self, event_types: Iterable[str], penalty_id: str) -> list[tuple[str, dict]]:
        """``(event_type, body)`` of the entries of ``event_types`` about ``penalty_id``."""
        record = models.TrailEntryRecord
        return [(t, b) for t, b in self.session.execute(select(record.event_type, record.body).where(
            record.event_type.in_(list(event_types)), record.body["penalty_id"].as_string() == penalty_id))]


class StockRepository:
    """Approved filings (P9) and their filed domains (P10)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, filing: domain.StockFiling) -> domain.StockFiling:
        """Store ``filing`` and its sites; returns it with its ``pk``."""
        record = models.StockFiling(**{k: v for k, v in asdict(filing).items() if k != "pk"})
        self.session.add(record)
        self.session.flush()
        self.session.add_all(models.StockSite(stock_pk=record.pk, provider_id=record.provider_id,
                                              domain=site.lower(), approved_at=record.approved_at)
                             for site in record.sites)
        return _domain(domain.StockFiling, record)

    def get(self, pk: int) -> domain.StockFiling:
        return _domain(domain.StockFiling, self.session.get(models.StockFiling, pk))

    def approved_between(self, start: datetime, end: datetime) -> list[domain.StockFiling]:
        return [_domain(domain.StockFiling, record) for record in self.session.execute(
            select(models.StockFiling).where(models.StockFiling.approved_at >= start,
                                             models.StockFiling.approved_at < end)).scalars()]


class CheckRepository:
    """Check results (C3: each with its rules version) and the findings they raise (P9, C1)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, result: domain.CheckResult) -> None:
        self.session.add(_record(models.CheckResult, result))

    def finding_exists(self, filing_id: str, version: int, check: str, rules_version: str) -> bool:
        finding = models.Finding
        return self.session.execute(select(finding.id).where(
            finding.filing_id == filing_id, finding.version == version, finding.check == check,
            finding.rules_version == rules_version)).first() is not None

    def add_finding(self, finding: domain.Finding) -> None:
        self.session.add(_record(models.Finding, finding))


class SampleRepository:
    """Monthly samples and their items' phone checks (C1)."""

    def __init__(self, session: Session):
        self.session = session

    def find(self, month: str, seed: int, rules_version: str) -> domain.Sample | None:
        record = self.session.execute(select(models.Sample).where(
            models.Sample.month == month, models.Sample.seed == seed,
            models.Sample.rules_version == rules_version)).scalar_one_or_none()
        return _domain(domain.Sample, record) if record is not None else None

    def add(self, sample: domain.Sample, items: Iterable[domain.SampleItem]) -> None:
        self.session.add(_record(models.Sample, sample))
        self.session.flush()
        self.session.add_all(models.SampleItem(**{k: v for k, v in asdict(item).items() if k != "id"})
                             for item in items)
        self.session.flush()

    def get(self, sample_id: str) -> domain.Sample | None:
        record = self.session.get(models.Sample, sample_id)
        return _domain(domain.Sample, record) if record is not None else None

    def item(self, item_id: int) -> domain.SampleItem | None:
        record = self.session.get(models.SampleItem, item_id)
        return _domain(domain.SampleItem, record) if record is not None else None

    def save_item(self, item: domain.SampleItem) -> None:
        record = self.session.get(models.SampleItem, item.id)
        record.phone_result, record.checked_by, record.checked_at = item.phone_result, item.checked_by, item.checked_at
        self.session.flush()

    def items_with_filings(self, sample_id: str) -> list[tuple[domain.SampleItem, domain.StockFiling]]:
        """The sample's items with their filings, by stratum and filing id."""
        rows = self.session.execute(
            select(models.SampleItem, models.StockFiling)
            .join(models.StockFiling, models.StockFiling.pk == models.SampleItem.stock_pk)
            .where(models.SampleItem.sample_id == sample_id)
            .order_by(models.SampleItem.stratum, models.StockFiling.filing_id)).all()
        return [(_domain(domain.SampleItem, item), _domain(domain.StockFiling, stock)) for item, stock in rows]


class InventoryRepository:
    """Providers' hosted-site inventories (P10)."""

    def __init__(self, session: Session):
        self.session = session

    def replace(self, provider_id: str, domains: Iterable[str], import_id: str, imported_at: datetime) -> None:
        self.session.query(models.HostedSite).filter(models.HostedSite.provider_id == provider_id).delete()
        self.session.add_all(models.HostedSite(provider_id=provider_id, domain=name, import_id=import_id,
                                               imported_at=imported_at) for name in domains)
        self.session.flush()


    def hosted(self, provider_id: str) -> tuple[set[str], str] | None:
        """X5: the provider's latest inventory as ``(domains, import id)``; None before one is loaded."""
        rows = self.session.execute(select(models.HostedSite.domain, models.HostedSite.import_id)
                                    .where(models.HostedSite.provider_id == provider_id)).all()
        return ({row.domain for row in rows}, rows[0].import_id) if rows else None


class ShellSiteRepository:
    """X5: the provider's approved sites as intake announces them, and the shell-site findings."""

    def __init__(self, session: Session):
        self.session = session

    def revisions(self, provider_id: str, domains: Iterable[str]) -> dict[str, int]:
        """The list revision that last touched each of ``domains`` (locked: changes of one domain apply in turn)."""
        site = models.ApprovedSite
        return {row.domain: row.revision for row in self.session.execute(
            select(site.domain, site.revision).where(site.provider_id == provider_id, site.domain.in_(list(domains)))
            .with_for_update())}

    def put(self, provider_id: str, domain_name: str, revision: int, present: bool, at: datetime) -> None:
        self.session.merge(models.ApprovedSite(provider_id=provider_id, domain=domain_name, revision=revision,
                                               present=present, changed_at=at))

    def approved(self, provider_id: str) -> set[str]:
        site = models.ApprovedSite
        return set(self.session.scalars(select(site.domain).where(site.provider_id == provider_id, site.present)))

    def providers(self) -> list[str]:
        """Providers with an approved site or an open finding: the ones the check looks at."""
        approved = select(models.ApprovedSite.provider_id).where(models.ApprovedSite.present)
        shells = select(models.ShellSite.provider_id).where(models.ShellSite.cleared_at.is_(None))
        return sorted(set(self.session.scalars(approved.union(shells))))

    def findings(self, provider_id: str, open_only: bool = True, probed: bool | None = None) -> list[ShellSite]:
        """The provider's findings; open ones locked, of one kind when ``probed`` says which (the probe's or the
        inventory's), so that each check locks only the rows it may change."""
        shell = models.ShellSite
        query = select(shell).where(shell.provider_id == provider_id)
        if probed is not None:
            query = query.where(shell.reason.in_(PROBE_REASONS) if probed else shell.reason.not_in(PROBE_REASONS))
        if open_only:
            query = query.where(shell.cleared_at.is_(None)).with_for_update()
        return [_domain(ShellSite, r) for r in self.session.scalars(query.order_by(shell.found_at, shell.domain))]

    def add(self, finding: ShellSite) -> None:
        self.session.add(_record(models.ShellSite, finding))

    def save(self, finding: ShellSite) -> None:
        self.session.merge(_record(models.ShellSite, finding))

    def probes(self, provider_id: str) -> dict[str, SiteProbe]:
        """The last probe of each of the provider's domains, by domain."""
        rows = self.session.scalars(select(models.SiteProbe).where(models.SiteProbe.provider_id == provider_id))
        return {row.domain: _domain(SiteProbe, row) for row in rows}

    def put_probe(self, probe: SiteProbe) -> None:
        self.session.merge(_record(models.SiteProbe, probe))

    def forget_probes(self, provider_id: str, keep: set[str]) -> None:
        """Drop the probes of the provider's domains that are not in ``keep`` (no longer approved)."""
        probe = models.SiteProbe
        self.session.execute(delete(probe).where(probe.provider_id == provider_id, probe.domain.not_in(keep)))


class PenaltyRepository:
    """The bureaus' penalties as the summary follows them (C4)."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, penalty_id: str) -> domain.Penalty | None:
        record = self.session.get(models.Penalty, penalty_id)
        return _domain(domain.Penalty, record) if record is not None else None

    def add(self, penalty: domain.Penalty) -> None:
        self.session.add(_record(models.Penalty, penalty))

    def save(self, penalty: domain.Penalty) -> None:
        """Its follow-ups (appends run one at a time under the trail's lock, so none is lost)."""
        self.session.execute(update(models.Penalty).where(models.Penalty.penalty_id == penalty.penalty_id)
                             .values(closed_at=penalty.closed_at, overdue_at=penalty.overdue_at))


QUARTERLY_STOCK_SQL = """
SELECT province, provider_id, count(*) FROM stock WHERE approved_at < :end GROUP BY province, provider_id
"""
RUN_FLAGGED_SQL = """
SELECT province, provider_id, sum(flagged) FROM check_run_counts WHERE run_id = :run AND month < :month
GROUP BY province, provider_id
"""
ARRIVAL_FLAGGED_SQL = """
SELECT s.province, s.provider_id, count(DISTINCT s.pk)
FROM check_results r JOIN stock s ON s.pk = r.stock_pk
WHERE r."check" = 'id_check' AND r.outcome = 'fail' AND r.run_id IS NULL AND s.approved_at < :end
GROUP BY s.province, s.provider_id
"""
# The stock is scanned once, as a bare GROUP BY would; the flags come from the run's own counts (written by the
# run, audit.bulk) or, before any run, from the checks on arrival (bench/audit_bulk.py measures the report
# against that bare scan).

FILING_RATE_SQL = """
SELECT h.provider_id, count(*) AS hosted,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM stock_sites ss
           WHERE ss.provider_id = h.provider_id AND ss.domain = h.domain AND ss.approved_at < :end)) AS filed
FROM hosted_sites h
GROUP BY h.provider_id
"""


class ReportQueries:
    """The counts the reports are made of (C1, C2, C4, P9, P10), computed by the database over the whole stock:
    rows of plain values. Tested on PostgreSQL (there is no in-memory stand-in: the SQL is what is proved)."""

    def __init__(self, session: Session):
        self.session = session

    def id_checks_by_provider(self, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
        """``(provider, filings approved in [start, end), of them failing the ID check)``."""
        stock, result = models.StockFiling, models.CheckResult
        return [tuple(row) for row in self.session.execute(
            select(stock.provider_id, func.count(func.distinct(stock.pk)),
                   func.count(func.distinct(result.stock_pk)).filter(result.outcome == "fail"))
            .outerjoin(result, (result.stock_pk == stock.pk) & (result.check == domain.ID_CHECK))
            .where(stock.approved_at >= start, stock.approved_at < end).group_by(stock.provider_id))]

    def phone_checks_by_provider(self, month: str) -> dict[str, tuple[int, int]]:
        """``{provider: (phone-checked, confirmed)}`` of ``month``'s samples."""
        stock, item = models.StockFiling, models.SampleItem
        rows = self.session.execute(
            select(stock.provider_id, func.count(item.id).filter(item.phone_result.is_not(None)),
                   func.count(item.id).filter(item.phone_result == "confirmed"))
            .join(item, item.stock_pk == stock.pk).join(models.Sample, models.Sample.id == item.sample_id)
            .where(models.Sample.month == month).group_by(stock.provider_id))
        return {provider: (checked, confirmed) for provider, checked, confirmed in rows}

    def latest_run(self) -> tuple[str, str] | None:
        """``(run id, rules version)`` of the latest finished batch check of the stock."""
        run = self.session.execute(select(models.CheckRun).where(models.CheckRun.finished_at.is_not(None))
                                   .order_by(models.CheckRun.finished_at.desc()).limit(1)).scalar_one_or_none()
        return (run.id, run.rules_version) if run else None

    def flagged(self, run_id: str | None, end: datetime) -> dict[tuple[str, str], int]:
        """``{(province, provider): flagged}`` of filings approved before ``end``: the run's flags, or the checks
        on arrival when there is no run."""
        parameters = {"run": run_id, "end": end, "month": end.strftime("%Y-%m")}
        sql = RUN_FLAGGED_SQL if run_id else ARRIVAL_FLAGGED_SQL
        return {(province, provider): int(count)
                for province, provider, count in self.session.execute(text(sql), parameters)}

    def stock_before(self, end: datetime) -> list[tuple[str, str, int]]:
        """``(province, provider, filings)`` approved before ``end``."""
        return [tuple(row) for row in self.session.execute(text(QUARTERLY_STOCK_SQL), {"end": end})]

    def filing_rates(self, end: datetime) -> list[tuple[str, int, int]]:
        """``(provider, hosted sites, of them filed before end)`` per inventory."""
        return [tuple(row) for row in self.session.execute(text(FILING_RATE_SQL), {"end": end})]

    def penalties(self) -> list[tuple[str, str, int, int, int]]:
        """``(province, kind, issued, closed, overdue)``, by province and kind."""
        penalty = models.Penalty
        return [tuple(row) for row in self.session.execute(
            select(penalty.province, penalty.kind, func.count(), func.count(penalty.closed_at),
                   func.count(penalty.overdue_at))
            .group_by(penalty.province, penalty.kind).order_by(penalty.province, penalty.kind))]

    def approved_by(self, category: str, start: datetime, end: datetime) -> list[tuple[str | None, int]]:
        """``(value, filings)`` of the stock column ``category`` over filings approved in [start, end)."""
        column = getattr(models.StockFiling, category)
        return [tuple(row) for row in self.session.execute(
            select(column, func.count()).where(models.StockFiling.approved_at >= start,
                                               models.StockFiling.approved_at < end)
            .group_by(column).order_by(column))]

    def returned_between(self, event_type: str, start: datetime, end: datetime) -> int:
        """Trail entries of ``event_type`` (the bureaus' returns) whose ``returned_at`` is in [start, end)."""
        record = models.TrailEntryRecord
        returned_at = cast(record.body["returned_at"].as_string(), DateTime(timezone=True))
        return self.session.execute(select(func.count()).where(
            record.event_type == event_type, returned_at >= start, returned_at < end)).scalar_one()

    def filed_by_province(self, end: datetime) -> list[tuple[str, int, int]]:
        """``(province, filed subjects, filed sites)`` in the stock before ``end``."""
        stock = models.StockFiling
        return [(province, subjects, int(sites or 0)) for province, subjects, sites in self.session.execute(
            select(stock.province, func.count(func.distinct(stock.filing_number)),
                   func.sum(func.json_array_length(stock.sites)))
            .where(stock.approved_at < end).group_by(stock.province).order_by(stock.province))]


class AuditUnitOfWork(SqlUnitOfWork):
    """audit's transaction: its repositories and report queries on one session, with the outbox."""

    def __init__(self, session: Session):
        super().__init__(session, models.outbox, SERVICE)
        self.trail = TrailRepository(session)
        self.stock = StockRepository(session)
        self.checks = CheckRepository(session)
        self.samples = SampleRepository(session)
        self.inventories = InventoryRepository(session)
        self.shell_sites = ShellSiteRepository(session)
        self.penalties = PenaltyRepository(session)
        self.reports = ReportQueries(session)
