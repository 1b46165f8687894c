"""Intake's persistence behind a port (issue 18; design.md §2): SQLAlchemy repositories that turn the records of
:mod:`intake.models` into the domain's objects and back, and the unit of work a use case runs in.

Personal data is sealed here, at rest (design.md §5): a filing's data goes in and comes out in the clear, and is
stored with every personal path of either kind of sponsor encrypted under :data:`STORE_CONTEXT`.
Nothing here commits: the entrypoint does (:class:`shared.platform.unit_of_work.SqlUnitOfWork`).
"""

from dataclasses import fields
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import models
from intake.domain.filing import Acceptance, Filing, FilingState, Scan, Step
from intake.domain.revisits import PENDING, Revisit, RevisitState
from intake.domain.stock import StockImport
from intake.sign_in import SignInCode
from shared.contracts.intake import READING_PATHS, personal_paths
from shared.contracts.registry import EVENTS
from shared.platform.outbox import mark_written
from shared.platform.sealing import seal, unseal
from shared.platform.unit_of_work import SqlUnitOfWork

SERVICE = "intake"
STORE_CONTEXT = "intake"
ALL_PERSONAL_PATHS = personal_paths("individual")
"""Every personal path of either kind of sponsor: what is sealed at rest (and re-encrypted by key rotation)."""
READING_CONTEXT = f"{STORE_CONTEXT}.reading"  # X7: what OCR read of a scan is personal data like what was entered


def _domain(cls, row, **overrides):
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls) if f.name not in overrides}, **overrides)


def _copy(target, source) -> None:
    for f in fields(source):
        setattr(target, f.name, getattr(source, f.name))


class SqlFilings:
    """Filings with their versions' data, timelines, scans, contract acceptances and the record of every opening
    of a scan or a personal value (W4, B1)."""

    def __init__(self, session: Session, cipher):
        self.session = session
        self.cipher = cipher

    def get(self, filing_id: str, provider_id: str, *, lock: bool = False) -> Filing | None:
        query = select(models.Filing).where(models.Filing.id == filing_id, models.Filing.provider_id == provider_id)
        row = self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        return None if row is None else _domain(Filing, row, state=FilingState(row.state))

    def stale_drafts(self, provider_id: str, untouched_since: datetime) -> list[Filing]:
        """X4: the provider's drafts (not change drafts) nobody touched since ``untouched_since``."""
        rows = self.session.execute(select(models.Filing).where(
            models.Filing.provider_id == provider_id, models.Filing.state == FilingState.DRAFT,
            models.Filing.updated_at <= untouched_since).order_by(models.Filing.updated_at).limit(500)).scalars()
        return [_domain(Filing, row, state=FilingState(row.state)) for row in rows]

    def add(self, filing: Filing, data: dict) -> None:
        """A new filing with ``data`` as its first version."""
        row = models.Filing()
        _copy(row, filing)
        self.session.add(row)
        self.session.flush()
        self.put_data(filing.id, filing.version, data)

    def save(self, filing: Filing) -> None:
        _copy(self.session.get(models.Filing, filing.id), filing)

    def _version(self, filing_id: str, version: int) -> models.FilingVersion | None:
        return self.session.execute(select(models.FilingVersion).where(
            models.FilingVersion.filing_id == filing_id, models.FilingVersion.version == version)).scalar_one_or_none()

    def data(self, filing_id: str, version: int) -> dict:
        """The version's data in the clear."""
        return unseal(self._version(filing_id, version).data, ALL_PERSONAL_PATHS, self.cipher, STORE_CONTEXT)

    def put_data(self, filing_id: str, version: int, data: dict) -> None:
        """Store ``data`` (sealed) as the version's, creating the version when it is new."""
        row = self._version(filing_id, version)
        if row is None:
            row = models.FilingVersion(filing_id=filing_id, version=version)
            self.session.add(row)
        row.data = seal(data, ALL_PERSONAL_PATHS, self.cipher, STORE_CONTEXT)

    def mark_submitted(self, filing_id: str, version: int, at: datetime) -> None:
        self._version(filing_id, version).submitted_at = at

    def record(self, filing_id: str, step: Step) -> None:
        self.session.add(models.TimelineEntry(filing_id=filing_id, at=step.at, state=step.state,
                                              version=step.version, actor=step.actor, note=step.note,
                                              reasons=list(step.reasons)))

    def timeline(self, filing_id: str) -> list[Step]:
        rows = self.session.execute(select(models.TimelineEntry).where(models.TimelineEntry.filing_id == filing_id)
                                    .order_by(models.TimelineEntry.id)).scalars()
        return [_domain(Step, row) for row in rows]

    def scans(self, filing_id: str) -> list[Scan]:
        rows = self.session.execute(select(models.DocumentScan).where(models.DocumentScan.filing_id == filing_id)
                                    .order_by(models.DocumentScan.uploaded_at)).scalars()
        return [_domain(Scan, row, reading=row.reading and unseal(row.reading, READING_PATHS, self.cipher,
                                                                 READING_CONTEXT)) for row in rows]

    def add_scan(self, scan: Scan) -> None:
        row = models.DocumentScan()
        _copy(row, scan)
        row.reading = scan.reading and seal(scan.reading, READING_PATHS, self.cipher, READING_CONTEXT)
        self.session.add(row)

    def acceptance(self, filing_id: str, version: int) -> Acceptance | None:
        row = self.session.execute(select(models.ContractAcceptance).where(
            models.ContractAcceptance.filing_id == filing_id, models.ContractAcceptance.version == version)
        ).scalar_one_or_none()
        return None if row is None else _domain(Acceptance, row)

    def accept(self, acceptance: Acceptance) -> None:
        row = models.ContractAcceptance()
        _copy(row, acceptance)
        self.session.add(row)
        self.session.flush()

    def document_opened(self, scan: Scan, actor: str, role: str, at: datetime) -> None:
        self.session.add(models.DocumentAccess(scan_id=scan.id, filing_id=scan.filing_id, accessed_by=actor,
                                               role=role, accessed_at=at))

    def value_opened(self, filing: Filing, field: str, actor: str, role: str, at: datetime) -> None:
        self.session.add(models.PersonalDataAccess(filing_id=filing.id, version=filing.version, field=field,
                                                   accessed_by=actor, role=role, accessed_at=at))


# The dialects' INSERT ... ON CONFLICT (the services run on PostgreSQL, the embedded demo on SQLite).
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SqlSites:
    """P8: the approved-sites list (domain -> filing and website number) and its single revision row."""

    def __init__(self, session: Session):
        self.session = session

    def touched(self, filing_id: str, domains) -> dict[str, tuple[str, str]]:
        """The filing's sites and any of ``domains`` approved under another: domain -> (filing id, number)."""
        rows = self.session.execute(select(models.ApprovedSite).where(
            (models.ApprovedSite.filing_id == filing_id) | models.ApprovedSite.domain.in_(list(domains)))).scalars()
        return {row.domain: (row.filing_id, row.website_number) for row in rows}

    def put(self, domain: str, filing_id: str, website_number: str, approved_at: datetime) -> None:
        row = self.session.get(models.ApprovedSite, domain)
        if row is None:
            self.session.add(models.ApprovedSite(domain=domain, filing_id=filing_id, website_number=website_number,
                                                 approved_at=approved_at))
        else:
            row.filing_id, row.website_number, row.approved_at = filing_id, website_number, approved_at

    def remove(self, domains) -> None:
        if not domains:
            return
        self.session.execute(delete(models.ApprovedSite).where(models.ApprovedSite.domain.in_(list(domains))))

    def bump_revision(self, at: datetime) -> tuple[int, int]:
        """The list's next revision and how many sites it holds now.

        The revision row is locked for the transaction, so concurrent changes get consecutive revisions. The
        first change ever creates the row: two first changes at once both insert it, and ``ON CONFLICT DO
        NOTHING`` makes the second wait for the first and then bump its row instead of failing on the primary
        key (issue 17: a burnt delivery)."""
        self.session.flush()
        insert = _UPSERTS[self.session.get_bind().dialect.name]
        self.session.execute(insert(models.SitesRevision).values(id=1, revision=0, changed_at=at)
                             .on_conflict_do_nothing(index_elements=[models.SitesRevision.id]))
        revision = self.session.get(models.SitesRevision, 1, with_for_update=True, populate_existing=True)
        revision.revision += 1
        revision.changed_at = at
        count = self.session.execute(select(func.count()).select_from(models.ApprovedSite)).scalar_one()
        return revision.revision, count

    def listing(self) -> tuple[int, datetime | None, list[dict]]:
        """``(revision, changed at, sites by domain)``; revision 0 before the first change."""
        revision = self.session.get(models.SitesRevision, 1)
        sites = [{"domain": row.domain, "website_number": row.website_number, "filing_id": row.filing_id,
                  "approved_at": row.approved_at} for row in self.session.execute(
                      select(models.ApprovedSite).order_by(models.ApprovedSite.domain)).scalars()]
        return (revision.revision, revision.changed_at, sites) if revision else (0, None, sites)


class SqlRevisits:
    """W5: revisits, and the W6 plan rows that a verification on site completes."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, revisit: Revisit) -> None:
        row = models.Revisit()
        _copy(row, revisit)
        self.session.add(row)

    def save(self, revisit: Revisit) -> None:
        _copy(self.session.get(models.Revisit, revisit.id), revisit)

    def pending(self, filing_id: str) -> bool:
        return self.session.execute(select(models.Revisit.id).where(
            models.Revisit.filing_id == filing_id, models.Revisit.state.in_(list(PENDING)))).first() is not None

    def close_pending(self, filing_id: str) -> None:
        self.session.execute(update(models.Revisit).where(
            models.Revisit.filing_id == filing_id, models.Revisit.state.in_(list(PENDING))
        ).values(state=RevisitState.CLOSED))

    def get(self, revisit_id: str, filing_id: str, *, lock: bool = False) -> Revisit | None:
        query = select(models.Revisit).where(models.Revisit.id == revisit_id, models.Revisit.filing_id == filing_id)
        row = self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        return None if row is None else _revisit(row)

    def of_filing(self, filing_id: str) -> list[Revisit]:
        rows = self.session.execute(select(models.Revisit).where(models.Revisit.filing_id == filing_id)
                                    .order_by(models.Revisit.due_at.desc())).scalars()
        return [_revisit(row) for row in rows]

    def due(self, provider_id: str, state: RevisitState, column: str, at: datetime,
            limit: int) -> list[tuple[Revisit, Filing]]:
        """The provider's revisits in ``state`` whose ``column`` (``due_at``, ``answer_by``) is past, oldest due
        first, with their filings; on PostgreSQL locked, skipping those another replica holds, so that several
        replicas never open or escalate one twice."""
        query = select(models.Revisit, models.Filing).join(
            models.Filing, models.Filing.id == models.Revisit.filing_id).where(
            models.Revisit.provider_id == provider_id, models.Revisit.state == state,
            getattr(models.Revisit, column) <= at).order_by(models.Revisit.due_at).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=models.Revisit, skip_locked=True)
        return [(_revisit(r), _domain(Filing, f, state=FilingState(f.state)))
                for r, f in self.session.execute(query).all()]

    def counts(self, provider_id: str) -> dict[str, int]:
        counts = dict.fromkeys((s.value for s in RevisitState), 0)
        for state, count in self.session.execute(select(models.Revisit.state, func.count()).where(
                models.Revisit.provider_id == provider_id).group_by(models.Revisit.state)):
            counts[state] = count
        return counts

    def listed(self, provider_id: str, state: RevisitState, limit: int) -> list[tuple[Revisit, str | None]]:
        """The provider's revisits in ``state``, soonest answer time first, with their filing numbers."""
        rows = self.session.execute(select(models.Revisit, models.Filing.filing_number).join(
            models.Filing, models.Filing.id == models.Revisit.filing_id).where(
            models.Revisit.provider_id == provider_id, models.Revisit.state == state)
            .order_by(models.Revisit.answer_by).limit(limit)).all()
        return [(_revisit(r), number) for r, number in rows]

    def next_due(self, provider_id: str) -> datetime | None:
        return self.session.execute(select(func.min(models.Revisit.due_at)).where(
            models.Revisit.provider_id == provider_id, models.Revisit.state == RevisitState.SCHEDULED)).scalar_one()

    def stock_verified(self, filing_id: str, at: datetime) -> bool:
        """W6: the filing's pending re-verification plan is done; False when it has none."""
        plan = self.session.execute(select(models.StockReverification).where(
            models.StockReverification.filing_id == filing_id, models.StockReverification.state == "pending")
            .with_for_update()).scalar_one_or_none()
        if plan is None:
            return False
        plan.state, plan.done_at = "done", at
        return True


def _revisit(row: models.Revisit) -> Revisit:
    return _domain(Revisit, row, state=RevisitState(row.state))


class SqlSignInCodes:
    """P1: sponsors' one-time sign-in codes (digests only, issue 8)."""

    def __init__(self, session: Session):
        self.session = session

    def sent_since(self, since: datetime, *, mobile_hmac: str | None = None, client_hmac: str | None = None) -> int:
        """How many codes went to the mobile, or to the client, since ``since``."""
        column, value = ((models.SignInCode.mobile_hmac, mobile_hmac) if mobile_hmac is not None
                         else (models.SignInCode.client_hmac, client_hmac))
        return self.session.execute(select(func.count()).select_from(models.SignInCode).where(
            column == value, models.SignInCode.created_at >= since)).scalar_one()

    def add(self, code: SignInCode) -> None:
        row = models.SignInCode()
        _copy(row, code)
        self.session.add(row)

    def newest_live(self, mobile_hmac: str, at: datetime) -> SignInCode | None:
        """The mobile's newest unused, unexpired code, locked for the guess."""
        row = self.session.execute(select(models.SignInCode).where(
            models.SignInCode.mobile_hmac == mobile_hmac, models.SignInCode.used_at.is_(None),
            models.SignInCode.expires_at > at).order_by(models.SignInCode.created_at.desc()).limit(1)
            .with_for_update()).scalar_one_or_none()
        return None if row is None else _domain(SignInCode, row)

    def save(self, code: SignInCode) -> None:
        _copy(self.session.get(models.SignInCode, code.id), code)


class SqlStock:
    """W6: stock imports, their re-verification plans, and the bulk writes of an import's batch (a batch job over
    up to hundreds of thousands of rows: one INSERT per table and batch, not one per row)."""

    def __init__(self, session: Session, cipher):
        self.session = session
        self.cipher = cipher

    def by_request_key(self, request_key: str) -> StockImport | None:
        row = self.session.execute(select(models.StockImport).where(
            models.StockImport.request_key == request_key)).scalar_one_or_none()
        return None if row is None else _domain(StockImport, row)

    def get(self, import_id: str) -> StockImport | None:
        row = self.session.get(models.StockImport, import_id)
        return None if row is None else _domain(StockImport, row)

    def start(self, run: StockImport) -> bool:
        """Add the new import; False, with the transaction rolled back, when an import with its request key
        exists already (the same request, sent twice at once: the first one runs)."""
        row = models.StockImport()
        _copy(row, run)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            return False
        return True

    def save(self, run: StockImport) -> None:
        _copy(self.session.get(models.StockImport, run.id), run)

    def planned(self, filing_numbers: list[str]) -> set[str]:
        """Those of ``filing_numbers`` imported already (they have a plan)."""
        return set(self.session.execute(select(models.StockReverification.filing_number).where(
            models.StockReverification.filing_number.in_(filing_numbers))).scalars())

    def approved(self, domains) -> set[str]:
        """Those of ``domains`` in the approved-sites list."""
        return set(self.session.execute(select(models.ApprovedSite.domain).where(
            models.ApprovedSite.domain.in_(list(domains)))).scalars())

    def add_batch(self, at: datetime, *, filings: list[dict], versions: list[dict], timeline: list[dict],
                  plans: list[dict], sites: list[dict], events: list[dict]) -> None:
        """Insert a batch's rows (``versions``' data in the clear: sealed here) and its events' envelopes, checked
        against their contracts as the outbox checks one."""
        EVENTS.validate_outgoing_many(events)
        self.session.execute(insert(models.Filing), filings)
        self.session.execute(insert(models.FilingVersion), [
            {**version, "data": seal(version["data"], ALL_PERSONAL_PATHS, self.cipher, STORE_CONTEXT)}
            for version in versions])
        self.session.execute(insert(models.TimelineEntry), timeline)
        self.session.execute(insert(models.StockReverification), plans)
        self.session.execute(insert(models.ApprovedSite), sites)
        self.session.execute(models.outbox.insert(), [
            {"id": envelope["meta"]["id"], "event_type": envelope["meta"]["type"],
             "correlation_id": envelope["meta"]["correlation_id"], "envelope": envelope, "created_at": at,
             "attempts": 0, "next_attempt_at": at} for envelope in events])
        mark_written(self.session)

    def progress(self, provider_id: str, at: datetime) -> list[dict]:
        """Per import of the provider: its plans, those done, those overdue at ``at`` (pending past the
        deadline), and the deadline."""
        plan = models.StockReverification
        overdue = (plan.state == "pending") & (plan.deadline < at)
        query = select(plan.import_id, func.count(), func.count().filter(plan.state == "done"),
                       func.count().filter(overdue), func.min(plan.deadline)
                       ).where(plan.provider_id == provider_id).group_by(plan.import_id)
        return [{"import_id": import_id, "planned": planned, "done": done, "overdue": late, "deadline": deadline}
                for import_id, planned, done, late, deadline in self.session.execute(query)]


class IntakeUnitOfWork(SqlUnitOfWork):
    """Intake's transaction: its filings, sites, revisits, sign-in codes and stock imports on one session, events
    to its outbox."""

    def __init__(self, session: Session, cipher):
        super().__init__(session, models.outbox, SERVICE)
        self.filings = SqlFilings(session, cipher)
        self.sites = SqlSites(session)
        self.revisits = SqlRevisits(session)
        self.sign_in_codes = SqlSignInCodes(session)
        self.stock = SqlStock(session, cipher)

