"""audit's repositories in memory (issue 18), behind the same methods as ``audit.repository``, so that the use
cases' rules are unit tests. The report queries (``ReportQueries``) have no stand-in: their SQL is what the
service tests prove on PostgreSQL."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from audit import domain
from audit.shell_sites import ShellSite, SiteProbe
from shared.testing.fakes import FakeUnitOfWork


class FakeTrail:
    def __init__(self):
        self.entries_by_seq: dict[int, domain.TrailEntry] = {}
        self.locks = 0

    def lock(self) -> None:
        self.locks += 1

    def has(self, event_id: str) -> bool:
        return any(entry.event_id == event_id for entry in self.entries_by_seq.values())

    def tip(self) -> tuple[int, str] | None:
        if not self.entries_by_seq:
            return None
        last = self.entries_by_seq[max(self.entries_by_seq)]
        return last.seq, last.entry_hash

    def append(self, entry: domain.TrailEntry, recorded_at: datetime) -> None:
        assert entry.seq not in self.entries_by_seq
        self.entries_by_seq[entry.seq] = entry

    def entries(self, batch: int = 1000) -> Iterator[domain.TrailEntry]:
        return iter([self.entries_by_seq[seq] for seq in sorted(self.entries_by_seq)])

    def penalty_entries(self, event_types: Iterable[str], penalty_id: str) -> list[tuple[str, dict]]:
        types = set(event_types)
        return [(e.event_type, e.body) for e in self.entries() if e.event_type in types
                and e.body.get("penalty_id") == penalty_id]


class FakeStock:
    def __init__(self):
        self.filings: dict[int, domain.StockFiling] = {}
        self._pks = itertools.count(1)

    def add(self, filing: domain.StockFiling) -> domain.StockFiling:
        if any((f.filing_id, f.version) == (filing.filing_id, filing.version) for f in self.filings.values()):
            raise AssertionError("the stock holds a filing version once")
        stored = replace(filing, pk=next(self._pks))
        self.filings[stored.pk] = stored
        return stored

    def get(self, pk: int) -> domain.StockFiling:
        return self.filings[pk]

    def approved_between(self, start: datetime, end: datetime) -> list[domain.StockFiling]:
        return [f for f in self.filings.values() if start <= f.approved_at < end]


class FakeChecks:
    def __init__(self):
        self.results: list[domain.CheckResult] = []
        self.findings: list[domain.Finding] = []

    def add(self, result: domain.CheckResult) -> None:
        self.results.append(result)

    def finding_exists(self, filing_id: str, version: int, check: str, rules_version: str) -> bool:
        return any((f.filing_id, f.version, f.check, f.rules_version) == (filing_id, version, check, rules_version)
                   for f in self.findings)

    def add_finding(self, finding: domain.Finding) -> None:
        assert not self.finding_exists(finding.filing_id, finding.version, finding.check, finding.rules_version)
        self.findings.append(finding)


class FakeSamples:
    def __init__(self, stock: FakeStock):
        self.stock = stock
        self.samples: dict[str, domain.Sample] = {}
        self.items: dict[int, domain.SampleItem] = {}
        self._ids = itertools.count(1)

    def find(self, month: str, seed: int, rules_version: str) -> domain.Sample | None:
        return next((s for s in self.samples.values() if (s.month, s.seed, s.rules_version) == (
            month, seed, rules_version)), None)

    def add(self, sample: domain.Sample, items: Iterable[domain.SampleItem]) -> None:
        self.samples[sample.id] = sample
        for item in items:
            stored = replace(item, id=next(self._ids))
            self.items[stored.id] = stored

    def get(self, sample_id: str) -> domain.Sample | None:
        return self.samples.get(sample_id)

    def item(self, item_id: int) -> domain.SampleItem | None:
        return self.items.get(item_id)

    def save_item(self, item: domain.SampleItem) -> None:
        self.items[item.id] = item

    def items_with_filings(self, sample_id: str) -> list[tuple[domain.SampleItem, domain.StockFiling]]:
        rows = [(item, self.stock.get(item.stock_pk)) for item in self.items.values() if item.sample_id == sample_id]
        return sorted(rows, key=lambda row: (row[0].stratum, row[1].filing_id))


class FakeInventories:
    def __init__(self):
        self.sites: dict[str, tuple[list[str], str]] = {}  # provider -> (domains, import id)

    def replace(self, provider_id: str, domains: Iterable[str], import_id: str, imported_at: datetime) -> None:
        self.sites[provider_id] = (list(domains), import_id)

    def hosted(self, provider_id: str) -> tuple[set[str], str] | None:
        if not self.sites.get(provider_id, ([], ""))[0]:
            return None
        domains, import_id = self.sites[provider_id]
        return set(domains), import_id


class FakeShellSites:
    def __init__(self):
        self.sites: dict[tuple[str, str], tuple[int, bool]] = {}  # (provider, domain) -> (revision, present)
        self.rows: dict[str, ShellSite] = {}
        self.probe_rows: dict[tuple[str, str], SiteProbe] = {}

    def revisions(self, provider_id: str, domains: Iterable[str]) -> dict[str, int]:
        return {d: self.sites[(provider_id, d)][0] for d in domains if (provider_id, d) in self.sites}

    def put(self, provider_id: str, domain_name: str, revision: int, present: bool, at: datetime) -> None:
        self.sites[(provider_id, domain_name)] = (revision, present)

    def approved(self, provider_id: str) -> set[str]:
        return {d for (p, d), (_, present) in self.sites.items() if p == provider_id and present}

    def providers(self) -> list[str]:
        return sorted({p for (p, _), (_, present) in self.sites.items() if present}
                      | {f.provider_id for f in self.rows.values() if f.cleared_at is None})

    def findings(self, provider_id: str, open_only: bool = True, probed: bool | None = None) -> list[ShellSite]:
        return sorted((copy.copy(f) for f in self.rows.values() if f.provider_id == provider_id
                       and (f.cleared_at is None or not open_only) and probed in (None, f.probed)),
                      key=lambda f: (f.found_at, f.domain))

    def add(self, finding: ShellSite) -> None:
        assert finding.id not in self.rows
        self.rows[finding.id] = copy.copy(finding)

    def save(self, finding: ShellSite) -> None:
        self.rows[finding.id] = copy.copy(finding)

    def probes(self, provider_id: str) -> dict[str, SiteProbe]:
        return {d: copy.copy(p) for (pid, d), p in self.probe_rows.items() if pid == provider_id}

    def put_probe(self, probe: SiteProbe) -> None:
        self.probe_rows[(probe.provider_id, probe.domain)] = copy.copy(probe)

    def forget_probes(self, provider_id: str, keep: set[str]) -> None:
        for key in [k for k in self.probe_rows if k[0] == provider_id and k[1] not in keep]:
            del self.probe_rows[key]


class FakePenalties:
    def __init__(self):
        self.penalties: dict[str, domain.Penalty] = {}

    def get(self, penalty_id: str) -> domain.Penalty | None:
        return self.penalties.get(penalty_id)

    def add(self, penalty: domain.Penalty) -> None:
        assert penalty.penalty_id not in self.penalties
        self.penalties[penalty.penalty_id] = penalty

    def save(self, penalty: domain.Penalty) -> None:
        self.penalties[penalty.penalty_id] = penalty


class FakeAuditUnitOfWork(FakeUnitOfWork):
    """``audit.repository.AuditUnitOfWork`` in memory."""

    def __init__(self):
        super().__init__("audit")
        self.trail = FakeTrail()
        self.stock = FakeStock()
        self.checks = FakeChecks()
        self.samples = FakeSamples(self.stock)
        self.inventories = FakeInventories()
        self.shell_sites = FakeShellSites()
        self.penalties = FakePenalties()
