"""The bureau's storage behind a port (issue 18, design.md §2): one repository per record, all on the session of a
:class:`BureauUnitOfWork`, so that a decision, its records and its events commit together (design.md §4). The
records (``bureau.models``) are the aggregates' state; the unit tests keep the same records in memory
(``services/bureau/tests/fakes.py``). Locks are taken where two workers may decide the same thing at once.
"""

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bureau.domain import OPEN_STATES, PenaltyState, ReviewState
from bureau.models import (
    EvidenceAccess,
    FilingNumberRecord,
    Inspection,
    NumberCounter,
    Penalty,
    QueryCount,
    Review,
    Website,
    WebsiteAccess,
    calendar_years,
    outbox,
)
from shared.platform.calendar import LoadedCalendar
from shared.platform.unit_of_work import SqlUnitOfWork

SERVICE = "bureau"


def _skip_locked(session: Session, query):
    """Rows another worker holds are left to it (PostgreSQL; SQLite has no row locks)."""
    return query.with_for_update(skip_locked=True) if session.bind.dialect.name == "postgresql" else query


class Reviews:
    def __init__(self, session: Session):
        self.session = session

    def add(self, review: Review) -> None:
        self.session.add(review)

    def newest_submission(self, filing_id: str) -> tuple[int, int] | None:
        """``(version, submission)`` of the newest review of the filing received."""
        row = self.session.execute(
            select(Review.version, Review.submission).where(Review.filing_id == filing_id)
            .order_by(Review.version.desc(), Review.submission.desc()).limit(1)).first()
        return tuple(row) if row is not None else None

    def open_of(self, filing_id: str) -> list[Review]:
        return list(self.session.execute(
            select(Review).where(Review.filing_id == filing_id, Review.state.in_(OPEN_STATES))).scalars())

    def current(self, filing_id: str, *, lock: bool = False) -> Review | None:
        """The filing's latest review that no later submission superseded; ``lock``: held until the commit, so
        a second decision on the same filing waits and then finds it decided."""
        query = select(Review).where(Review.filing_id == filing_id, Review.state != ReviewState.SUPERSEDED)
        query = query.order_by(Review.received_at.desc()).limit(1)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def open(self) -> list[Review]:
        """Every open review, oldest deadline first."""
        return list(self.session.execute(
            select(Review).where(Review.state.in_(OPEN_STATES)).order_by(Review.deadline_at, Review.received_at)
        ).scalars())

    def due(self, now: datetime) -> list[Review]:
        """Open reviews with a deadline event not yet raised whose time has come."""
        due = or_(and_(Review.near_raised_at.is_(None), Review.near_at <= now),
                  and_(Review.breached_raised_at.is_(None), Review.deadline_at <= now))
        return list(self.session.execute(
            _skip_locked(self.session, select(Review).where(Review.state.in_(OPEN_STATES), due))).scalars())

    def miit_due(self, now: datetime, remind_until: datetime) -> list[Review]:
        """X2, X4: open reviews whose MIIT check expired, or is to be reminded (expiring by ``remind_until``)."""
        due = or_(Review.miit_expires_at <= now,
                  and_(Review.miit_reminded_at.is_(None), Review.miit_expires_at <= remind_until))
        return list(self.session.execute(_skip_locked(self.session, select(Review).where(
            Review.state.in_(OPEN_STATES), Review.miit_state == "pending", due))).scalars())

    def open_counts(self) -> tuple[int, int, int]:
        """Open reviews, how many of them breached their deadline, how many deadlines are provisional."""
        row = self.session.execute(
            select(func.count(), func.count(Review.breached_raised_at),
                   func.count().filter(Review.deadline_provisional.is_(True))).where(Review.state.in_(OPEN_STATES))
        ).one()
        return row[0], row[1], row[2]

    def filings_of(self, provider_id: str, start: datetime, end: datetime) -> list[str]:
        """The provider's filings received in ``[start, end)``, each once."""
        return [r[0] for r in self.session.execute(
            select(Review.filing_id).where(Review.provider_id == provider_id, Review.received_at >= start,
                                           Review.received_at < end).distinct())]


class Numbers:
    def __init__(self, session: Session):
        self.session = session

    def next_serial(self, province: str, year: int) -> int:
        """The next serial of the province and year, taken in the approving transaction: the counter row stays
        locked until the commit, and a transaction that fails gives its serial back (see ``NumberCounter``)."""
        insert = postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        self.session.execute(
            insert(NumberCounter).values(province=province, year=year, last_serial=0).on_conflict_do_nothing())
        return self.session.execute(
            update(NumberCounter).where(NumberCounter.province == province, NumberCounter.year == year)
            .values(last_serial=NumberCounter.last_serial + 1).returning(NumberCounter.last_serial)).scalar_one()

    def add(self, record: FilingNumberRecord) -> None:
        self.session.add(record)

    def get(self, number: str, *, lock: bool = False) -> FilingNumberRecord | None:
        query = select(FilingNumberRecord).where(FilingNumberRecord.number == number)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def of_filing(self, filing_id: str, *, lock: bool = False) -> FilingNumberRecord | None:
        """The number the filing got, or else the one whose websites it hosts (a new website or new access, X1)."""
        held = select(Website.filing_number).join(WebsiteAccess, WebsiteAccess.domain_ascii == Website.domain_ascii)
        query = select(FilingNumberRecord).where(or_(
            FilingNumberRecord.filing_id == filing_id,
            FilingNumberRecord.number.in_(held.where(WebsiteAccess.filing_id == filing_id))))
        query = query.order_by(FilingNumberRecord.retired_at.is_(None).desc(), FilingNumberRecord.approved_at).limit(1)
        return self.session.execute(query.with_for_update() if lock else query).scalars().first()

    def lock_sponsor(self, sponsor_key: str) -> None:
        """X1: approvals of one sponsor take turns until the commit, so that two at once cannot both find it
        without a number (a transaction-scoped advisory lock; SQLite runs one writer at a time anyway)."""
        if self.session.bind.dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 21))"), {"key": sponsor_key})

    def active_of_sponsor(self, sponsor_key: str) -> FilingNumberRecord | None:
        query = select(FilingNumberRecord).where(FilingNumberRecord.sponsor_key == sponsor_key,
                                                 FilingNumberRecord.retired_at.is_(None))
        return self.session.execute(query).scalar_one_or_none()

    def active_by_name(self, name_key: str) -> list[FilingNumberRecord]:
        return list(self.session.execute(select(FilingNumberRecord).where(
            FilingNumberRecord.name_key == name_key, FilingNumberRecord.retired_at.is_(None))
            .order_by(FilingNumberRecord.number)).scalars())


class Websites:
    def __init__(self, session: Session):
        self.session = session

    def add(self, website: Website) -> None:
        self.session.add(website)

    def get(self, domain_ascii: str) -> Website | None:
        return self.session.get(Website, domain_ascii)

    def active_of(self, number: str) -> list[Website]:
        """The websites filed under ``number`` and not retired, by website number."""
        return list(self.session.execute(
            select(Website).where(Website.filing_number == number, Website.retired_at.is_(None))
            .order_by(Website.website_number, Website.domain_ascii)).scalars())

    def retire_all(self, number: str, now: datetime) -> None:
        self.session.execute(update(Website).where(Website.filing_number == number, Website.retired_at.is_(None))
                             .values(retired_at=now))


class Hosts:
    """X1: which providers host (接入) which approved websites (``WebsiteAccess``)."""

    def __init__(self, session: Session):
        self.session = session

    def of(self, domain_ascii: str) -> list[WebsiteAccess]:
        return list(self.session.execute(
            select(WebsiteAccess).where(WebsiteAccess.domain_ascii == domain_ascii)
            .order_by(WebsiteAccess.provider_id)).scalars())

    def hold(self, domain_ascii: str, provider_id: str, filing_id: str, now: datetime) -> None:
        held = self.session.get(WebsiteAccess, (domain_ascii, provider_id))
        if held is None:
            self.session.add(WebsiteAccess(domain_ascii=domain_ascii, provider_id=provider_id, filing_id=filing_id,
                                           since=now))
        else:
            held.filing_id = filing_id

    def release(self, domain_ascii: str, provider_id: str | None = None) -> None:
        """``provider_id``'s access to the website ends (every provider's without one)."""
        query = delete(WebsiteAccess).where(WebsiteAccess.domain_ascii == domain_ascii)
        if provider_id is not None:
            query = query.where(WebsiteAccess.provider_id == provider_id)
        self.session.execute(query)
        self.session.flush()

    def filings_under(self, number: str) -> list[tuple[str, str]]:
        """``(filing id, provider id)`` of every filing through which a website of ``number`` is hosted, once."""
        return sorted(tuple(r) for r in self.session.execute(
            select(WebsiteAccess.filing_id, WebsiteAccess.provider_id)
            .join(Website, Website.domain_ascii == WebsiteAccess.domain_ascii)
            .where(Website.filing_number == number).distinct()))


class QueryCounts:
    """X9: the public query's counts per client and window, in the database every replica shares."""

    def __init__(self, session: Session):
        self.session = session

    def hit(self, client: str, window_start: datetime) -> int:
        """Count one query of ``client`` in the window and answer the window's count (one atomic upsert)."""
        insert = postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        statement = insert(QueryCount).values(client=client, window_start=window_start, hits=1)
        statement = statement.on_conflict_do_update(index_elements=["client", "window_start"],
                                                    set_={"hits": QueryCount.hits + 1})
        return self.session.execute(statement.returning(QueryCount.hits)).scalar_one()

    def purge(self, before: datetime) -> None:
        self.session.execute(delete(QueryCount).where(QueryCount.window_start < before))


class EvidenceAccesses:
    def __init__(self, session: Session):
        self.session = session

    def add(self, access: EvidenceAccess) -> None:
        self.session.add(access)

    def of_filing(self, filing_id: str) -> list[EvidenceAccess]:
        return list(self.session.execute(
            select(EvidenceAccess).where(EvidenceAccess.filing_id == filing_id).order_by(EvidenceAccess.accessed_at)
        ).scalars())


class Inspections:
    def __init__(self, session: Session):
        self.session = session

    def add(self, inspection: Inspection) -> None:
        self.session.add(inspection)

    def get(self, inspection_id: str, *, lock: bool = False) -> Inspection | None:
        query = select(Inspection).where(Inspection.id == inspection_id)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def listed(self, provider_id: str | None) -> list[Inspection]:
        """Every inspection (or ``provider_id``'s), newest first."""
        query = select(Inspection).order_by(Inspection.planned_at.desc())
        if provider_id:
            query = query.where(Inspection.provider_id == provider_id)
        return list(self.session.execute(query).scalars())

    def scores(self, provider_id: str, year: int) -> list[float]:
        """The scores of the provider's recorded inspections of ``year``, in the order they were recorded."""
        return [r[0] for r in self.session.execute(
            select(Inspection.score).where(Inspection.provider_id == provider_id, Inspection.year == year,
                                           Inspection.recorded_at.is_not(None)).order_by(Inspection.recorded_at))]


class Penalties:
    def __init__(self, session: Session):
        self.session = session

    def add(self, penalty: Penalty) -> None:
        self.session.add(penalty)

    def get(self, penalty_id: str, *, lock: bool = False) -> Penalty | None:
        query = select(Penalty).where(Penalty.id == penalty_id)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def overdue(self, now: datetime) -> list[Penalty]:
        """Open orders whose rectification deadline has passed."""
        query = select(Penalty).where(Penalty.state == PenaltyState.OPEN, Penalty.rectify_by <= now)
        return list(self.session.execute(_skip_locked(self.session, query)).scalars())

    def states(self, provider_id: str) -> dict[str, int]:
        """How many of the provider's orders are in each state."""
        return dict(self.session.execute(
            select(Penalty.state, func.count()).where(Penalty.provider_id == provider_id).group_by(Penalty.state)
        ).all())

    def listed(self, provider_id: str | None) -> list[Penalty]:
        """Every order (or ``provider_id``'s), oldest first."""
        query = select(Penalty).order_by(Penalty.issued_at)
        if provider_id:
            query = query.where(Penalty.provider_id == provider_id)
        return list(self.session.execute(query).scalars())


class BureauUnitOfWork(SqlUnitOfWork):
    """The bureau's repositories and outbox on one session."""

    def __init__(self, session: Session):
        super().__init__(session, outbox, SERVICE)
        self.reviews = Reviews(session)
        self.numbers = Numbers(session)
        self.websites = Websites(session)
        self.hosts = Hosts(session)
        self.query_counts = QueryCounts(session)
        self.accesses = EvidenceAccesses(session)
        self.inspections = Inspections(session)
        self.penalties = Penalties(session)
        self.calendar = LoadedCalendar(session, calendar_years)
