"""In-memory stand-ins for intake's repositories (:mod:`intake.repository`), so that its business rules run in
the unit tier: the same methods and answers, data kept in the clear (sealing at rest is the SQL repository's, proved
on PostgreSQL), no locks (one caller at a time)."""

from dataclasses import replace
from datetime import datetime

from intake.domain.filing import Acceptance, Filing, Scan, Step
from intake.domain.revisits import PENDING, Revisit, RevisitState
from intake.sign_in import SignInCode
from shared.testing.fakes import FakeUnitOfWork


class FakeFilings:
    def __init__(self):
        self.rows: dict[str, Filing] = {}
        self.versions: dict[tuple[str, int], dict] = {}
        self.submitted: dict[tuple[str, int], datetime] = {}
        self.steps: dict[str, list[Step]] = {}
        self.scan_rows: list[Scan] = []
        self.acceptances: dict[tuple[str, int], Acceptance] = {}
        self.openings: list[tuple] = []

    def get(self, filing_id: str, provider_id: str, *, lock: bool = False) -> Filing | None:
        filing = self.rows.get(filing_id)
        return filing if filing is not None and filing.provider_id == provider_id else None

    def stale_drafts(self, provider_id: str, untouched_since: datetime) -> list[Filing]:
        return sorted((f for f in self.rows.values() if f.provider_id == provider_id and f.state == "draft"
                       and f.updated_at <= untouched_since), key=lambda f: f.updated_at)

    def add(self, filing: Filing, data: dict) -> None:
        self.rows[filing.id] = filing
        self.put_data(filing.id, filing.version, data)

    def save(self, filing: Filing) -> None:
        self.rows[filing.id] = filing

    def data(self, filing_id: str, version: int) -> dict:
        return self.versions[(filing_id, version)]

    def put_data(self, filing_id: str, version: int, data: dict) -> None:
        self.versions[(filing_id, version)] = data

    def mark_submitted(self, filing_id: str, version: int, at: datetime) -> None:
        self.submitted[(filing_id, version)] = at

    def record(self, filing_id: str, step: Step) -> None:
        self.steps.setdefault(filing_id, []).append(step)

    def timeline(self, filing_id: str) -> list[Step]:
        return list(self.steps.get(filing_id, []))

    def scans(self, filing_id: str) -> list[Scan]:
        return sorted((s for s in self.scan_rows if s.filing_id == filing_id), key=lambda s: s.uploaded_at)

    def add_scan(self, scan: Scan) -> None:
        self.scan_rows.append(scan)

    def acceptance(self, filing_id: str, version: int) -> Acceptance | None:
        return self.acceptances.get((filing_id, version))

    def accept(self, acceptance: Acceptance) -> None:
        self.acceptances[(acceptance.filing_id, acceptance.version)] = acceptance

    def document_opened(self, scan: Scan, actor: str, role: str, at: datetime) -> None:
        self.openings.append(("document", scan.id, actor, role, at))

    def value_opened(self, filing: Filing, field: str, actor: str, role: str, at: datetime) -> None:
        self.openings.append(("value", field, filing.version, actor, role, at))


class FakeSites:
    def __init__(self):
        self.rows: dict[str, tuple[str, str, datetime]] = {}
        self.revision: tuple[int, datetime] | None = None

    def touched(self, filing_id: str, domains) -> dict[str, tuple[str, str]]:
        return {d: (f, n) for d, (f, n, _) in self.rows.items() if f == filing_id or d in set(domains)}

    def put(self, domain: str, filing_id: str, website_number: str, approved_at: datetime) -> None:
        self.rows[domain] = (filing_id, website_number, approved_at)

    def remove(self, domains) -> None:
        for domain in list(domains):
            self.rows.pop(domain, None)

    def bump_revision(self, at: datetime) -> tuple[int, int]:
        self.revision = ((self.revision[0] if self.revision else 0) + 1, at)
        return self.revision[0], len(self.rows)

    def listing(self) -> tuple[int, datetime | None, list[dict]]:
        sites = [{"domain": d, "website_number": n, "filing_id": f, "approved_at": at}
                 for d, (f, n, at) in sorted(self.rows.items())]
        return (*self.revision, sites) if self.revision else (0, None, sites)


class FakeRevisits:
    def __init__(self, filings: FakeFilings):
        self.filings = filings
        self.rows: dict[str, Revisit] = {}
        self.stock_plans: dict[str, datetime | None] = {}
        """W6: filing id -> when its re-verification was done (None: pending)."""

    def add(self, revisit: Revisit) -> None:
        self.rows[revisit.id] = revisit

    def save(self, revisit: Revisit) -> None:
        self.rows[revisit.id] = revisit

    def pending(self, filing_id: str) -> bool:
        return any(r.filing_id == filing_id and r.state in PENDING for r in self.rows.values())

    def close_pending(self, filing_id: str) -> None:
        for r in list(self.rows.values()):
            if r.filing_id == filing_id and r.state in PENDING:
                self.rows[r.id] = replace(r, state=RevisitState.CLOSED)

    def get(self, revisit_id: str, filing_id: str, *, lock: bool = False) -> Revisit | None:
        revisit = self.rows.get(revisit_id)
        return revisit if revisit is not None and revisit.filing_id == filing_id else None

    def of_filing(self, filing_id: str) -> list[Revisit]:
        return sorted((r for r in self.rows.values() if r.filing_id == filing_id), key=lambda r: r.due_at,
                      reverse=True)

    def due(self, provider_id: str, state: RevisitState, column: str, at: datetime,
            limit: int) -> list[tuple[Revisit, Filing]]:
        due = sorted((r for r in self.rows.values() if r.provider_id == provider_id and r.state == state
                      and getattr(r, column) <= at), key=lambda r: r.due_at)[:limit]
        return [(r, self.filings.rows[r.filing_id]) for r in due]

    def counts(self, provider_id: str) -> dict[str, int]:
        counts = dict.fromkeys((s.value for s in RevisitState), 0)
        for r in self.rows.values():
            if r.provider_id == provider_id:
                counts[r.state] += 1
        return counts

    def listed(self, provider_id: str, state: RevisitState, limit: int) -> list[tuple[Revisit, str | None]]:
        rows = sorted((r for r in self.rows.values() if r.provider_id == provider_id and r.state == state),
                      key=lambda r: r.answer_by)[:limit]
        return [(r, self.filings.rows[r.filing_id].filing_number) for r in rows]

    def next_due(self, provider_id: str) -> datetime | None:
        return min((r.due_at for r in self.rows.values()
                    if r.provider_id == provider_id and r.state == RevisitState.SCHEDULED), default=None)

    def stock_verified(self, filing_id: str, at: datetime) -> bool:
        if filing_id not in self.stock_plans or self.stock_plans[filing_id] is not None:
            return False
        self.stock_plans[filing_id] = at
        return True


class FakeSignInCodes:
    def __init__(self):
        self.rows: dict[str, SignInCode] = {}

    def sent_since(self, since: datetime, *, mobile_hmac: str | None = None, client_hmac: str | None = None) -> int:
        return sum(1 for c in self.rows.values() if c.created_at >= since and (
            c.mobile_hmac == mobile_hmac if mobile_hmac is not None else c.client_hmac == client_hmac))

    def add(self, code: SignInCode) -> None:
        self.rows[code.id] = code

    def newest_live(self, mobile_hmac: str, at: datetime) -> SignInCode | None:
        live = [c for c in self.rows.values() if c.mobile_hmac == mobile_hmac and c.used_at is None
                and c.expires_at > at]
        return max(live, key=lambda c: c.created_at, default=None)

    def save(self, code: SignInCode) -> None:
        self.rows[code.id] = code


class FakeIntakeUnitOfWork(FakeUnitOfWork):
    """:class:`intake.repository.IntakeUnitOfWork` in memory, its events recorded (``.outbox``)."""

    def __init__(self):
        super().__init__("intake")
        self.filings = FakeFilings()
        self.sites = FakeSites()
        self.revisits = FakeRevisits(self.filings)
        self.sign_in_codes = FakeSignInCodes()
