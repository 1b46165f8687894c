"""In-memory stand-ins for the bureau's repositories (``bureau.repository``), so that its business rules are tested
in the unit tier: the same records (``bureau.models``, used as plain objects), the same queries answered from
lists. What they do not model: row locks (one test runs one use case at a time) and a rollback of records
changed in memory (the recording outbox drops the events of a rollback, as the real one does)."""

from datetime import datetime

from bureau.domain import OPEN_STATES, PenaltyState, ReviewState
from bureau.models import EvidenceAccess, FilingNumberRecord, Inspection, Penalty, Review, Website, WebsiteAccess
from bureau.repository import SERVICE
from shared.testing.fakes import FakeCalendar, FakeUnitOfWork


class FakeReviews:
    def __init__(self):
        self.items: list[Review] = []

    def add(self, review: Review) -> None:
        self.items.append(review)

    def newest_submission(self, filing_id: str) -> tuple[int, int] | None:
        return max(((r.version, r.submission) for r in self.items if r.filing_id == filing_id), default=None)

    def open_of(self, filing_id: str) -> list[Review]:
        return [r for r in self.items if r.filing_id == filing_id and r.state in OPEN_STATES]

    def current(self, filing_id: str, *, lock: bool = False) -> Review | None:
        found = [r for r in self.items if r.filing_id == filing_id and r.state != ReviewState.SUPERSEDED]
        return max(found, key=lambda r: r.received_at, default=None)

    def open(self) -> list[Review]:
        return sorted((r for r in self.items if r.state in OPEN_STATES), key=lambda r: (r.deadline_at, r.received_at))

    def due(self, now: datetime) -> list[Review]:
        return [r for r in self.open() if (r.near_raised_at is None and r.near_at <= now)
                or (r.breached_raised_at is None and r.deadline_at <= now)]

    def miit_due(self, now: datetime, remind_until: datetime) -> list[Review]:
        return [r for r in self.open() if r.miit_state == "pending" and (
            r.miit_expires_at <= now or (r.miit_reminded_at is None and r.miit_expires_at <= remind_until))]

    def open_counts(self) -> tuple[int, int, int]:
        opened = self.open()
        return (len(opened), sum(r.breached_raised_at is not None for r in opened),
                sum(bool(r.deadline_provisional) for r in opened))

    def filings_of(self, provider_id: str, start: datetime, end: datetime) -> list[str]:
        return sorted({r.filing_id for r in self.items
                       if r.provider_id == provider_id and start <= r.received_at < end})


class FakeNumbers:
    def __init__(self, websites: "FakeWebsites", hosts: "FakeHosts"):
        self.counters: dict[tuple[str, int], int] = {}
        self.records: dict[str, FilingNumberRecord] = {}
        self.websites, self.hosts = websites, hosts

    def next_serial(self, province: str, year: int) -> int:
        self.counters[(province, year)] = self.counters.get((province, year), 0) + 1
        return self.counters[(province, year)]

    def add(self, record: FilingNumberRecord) -> None:
        self.records[record.number] = record

    def get(self, number: str, *, lock: bool = False) -> FilingNumberRecord | None:
        return self.records.get(number)

    def of_filing(self, filing_id: str, *, lock: bool = False) -> FilingNumberRecord | None:
        held = {self.websites.items[h.domain_ascii].filing_number for h in self.hosts.items.values()
                if h.filing_id == filing_id}
        found = [r for r in self.records.values() if r.filing_id == filing_id or r.number in held]
        return min(found, key=lambda r: (r.retired_at is not None, r.approved_at), default=None)

    def lock_sponsor(self, sponsor_key: str) -> None:
        """Nothing to wait for: one use case runs at a time here."""

    def active_of_sponsor(self, sponsor_key: str) -> FilingNumberRecord | None:
        return next((r for r in self.records.values() if r.sponsor_key == sponsor_key and r.retired_at is None), None)

    def active_by_name(self, name_key: str) -> list[FilingNumberRecord]:
        return sorted((r for r in self.records.values() if r.name_key == name_key and r.retired_at is None),
                      key=lambda r: r.number)


class FakeWebsites:
    def __init__(self):
        self.items: dict[str, Website] = {}

    def add(self, website: Website) -> None:
        self.items[website.domain_ascii] = website

    def get(self, domain_ascii: str) -> Website | None:
        return self.items.get(domain_ascii)

    def active_of(self, number: str) -> list[Website]:
        return sorted((w for w in self.items.values() if w.filing_number == number and w.retired_at is None),
                      key=lambda w: (w.website_number, w.domain_ascii))

    def retire_all(self, number: str, now: datetime) -> None:
        for website in self.active_of(number):
            website.retired_at = now


class FakeHosts:
    def __init__(self, websites: FakeWebsites):
        self.items: dict[tuple[str, str], WebsiteAccess] = {}
        self.websites = websites

    def of(self, domain_ascii: str) -> list[WebsiteAccess]:
        return sorted((h for h in self.items.values() if h.domain_ascii == domain_ascii), key=lambda h: h.provider_id)

    def hold(self, domain_ascii: str, provider_id: str, filing_id: str, now: datetime) -> None:
        held = self.items.setdefault((domain_ascii, provider_id), WebsiteAccess(
            domain_ascii=domain_ascii, provider_id=provider_id, filing_id=filing_id, since=now))
        held.filing_id = filing_id

    def release(self, domain_ascii: str, provider_id: str | None = None) -> None:
        for key in [k for k in self.items if k[0] == domain_ascii and provider_id in (None, k[1])]:
            del self.items[key]

    def filings_under(self, number: str) -> list[tuple[str, str]]:
        return sorted({(h.filing_id, h.provider_id) for h in self.items.values()
                       if self.websites.items[h.domain_ascii].filing_number == number})


class FakeQueryCounts:
    def __init__(self):
        self.items: dict[tuple[str, datetime], int] = {}

    def hit(self, client: str, window_start: datetime) -> int:
        self.items[(client, window_start)] = self.items.get((client, window_start), 0) + 1
        return self.items[(client, window_start)]

    def purge(self, before: datetime) -> None:
        for key in [k for k in self.items if k[1] < before]:
            del self.items[key]


class FakeEvidenceAccesses:
    def __init__(self):
        self.items: list[EvidenceAccess] = []

    def add(self, access: EvidenceAccess) -> None:
        self.items.append(access)

    def of_filing(self, filing_id: str) -> list[EvidenceAccess]:
        return sorted((a for a in self.items if a.filing_id == filing_id), key=lambda a: a.accessed_at)


class FakeInspections:
    def __init__(self):
        self.items: dict[str, Inspection] = {}

    def add(self, inspection: Inspection) -> None:
        self.items[inspection.id] = inspection

    def get(self, inspection_id: str, *, lock: bool = False) -> Inspection | None:
        return self.items.get(inspection_id)

    def listed(self, provider_id: str | None) -> list[Inspection]:
        found = [i for i in self.items.values() if not provider_id or i.provider_id == provider_id]
        return sorted(found, key=lambda i: i.planned_at, reverse=True)

    def scores(self, provider_id: str, year: int) -> list[float]:
        recorded = [i for i in self.items.values()
                    if i.provider_id == provider_id and i.year == year and i.recorded_at is not None]
        return [i.score for i in sorted(recorded, key=lambda i: i.recorded_at)]


class FakePenalties:
    def __init__(self):
        self.items: dict[str, Penalty] = {}

    def add(self, penalty: Penalty) -> None:
        self.items[penalty.id] = penalty

    def get(self, penalty_id: str, *, lock: bool = False) -> Penalty | None:
        return self.items.get(penalty_id)

    def overdue(self, now: datetime) -> list[Penalty]:
        return [p for p in self.items.values() if p.state == PenaltyState.OPEN and p.rectify_by <= now]

    def states(self, provider_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for penalty in self.items.values():
            if penalty.provider_id == provider_id:
                counts[penalty.state] = counts.get(penalty.state, 0) + 1
        return counts

    def listed(self, provider_id: str | None) -> list[Penalty]:
        return sorted((p for p in self.items.values() if not provider_id or p.provider_id == provider_id),
                      key=lambda p: p.issued_at)


class FakeBureauUnitOfWork(FakeUnitOfWork):
    """:class:`bureau.repository.BureauUnitOfWork` in memory."""

    def __init__(self):
        super().__init__(SERVICE)
        self.reviews = FakeReviews()
        self.websites = FakeWebsites()
        self.hosts = FakeHosts(self.websites)
        self.numbers = FakeNumbers(self.websites, self.hosts)
        self.query_counts = FakeQueryCounts()
        self.accesses = FakeEvidenceAccesses()
        self.inspections = FakeInspections()
        self.penalties = FakePenalties()
        self.calendar = FakeCalendar()
