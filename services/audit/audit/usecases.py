"""Audit use cases, one function per command or event, collaborators passed in (design.md §2).

Entrypoints commit once per use case: a trail entry, a check result, its finding and the finding's outbox row
are one transaction (design.md §4), and every handler is idempotent on the event id.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from audit import domain
from audit.checks import check_document, seal_id
from audit.domain import Candidate, Rules, TrailEntry
from audit.models import (
    CheckResult,
    CheckRun,
    Finding,
    HostedSite,
    Penalty,
    Sample,
    SampleItem,
    StockFiling,
    StockSite,
    TrailEntryRecord,
    outbox,
)
from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.bureau import PENALTY_ISSUED, RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import BadRequest, Conflict, NotFound
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.kernel.errors import InvalidValue
from shared.kernel.network import validate_domain
from shared.kernel.workdays import SHANGHAI
from shared.platform.authority import Authorities, Outcome
from shared.platform.crypto import FieldCipher, LookupHasher
from shared.platform.outbox import enqueue
from shared.platform.sealing import unseal

SERVICE = "audit"
TRAIL_LOCK = 0x41554454  # pg advisory lock id ("AUDT"): one appender at a time keeps the chain linear
ID_CHECK = "id_check"
SPOT_CHECK = "spot_check"
STORE_CONTEXT = "audit.stock"


@dataclass
class Deps:
    session: Session
    cipher: FieldCipher
    exchange: FieldCipher
    hasher: LookupHasher
    authorities: Authorities
    rules: Rules
    now: Callable[[], datetime]


# --- audit trail ----------------------------------------------------------------------------------------------


def record_event(deps: Deps, envelope: dict) -> bool:
    """Append ``envelope`` to the hash-chained trail once (a redelivery adds nothing); True if appended.

    The entry keeps the envelope's data as published: producers seal every personal field (design.md §5), so the
    trail holds no plaintext personal data. Appends are serialised by a transaction-scoped advisory lock on
    PostgreSQL, so each entry links to exactly the one before it.
    """
    session, meta = deps.session, envelope["meta"]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": TRAIL_LOCK})
    event_id = str(meta["id"])
    if session.execute(select(TrailEntryRecord.seq).where(TrailEntryRecord.event_id == event_id)).first():
        return False
    last = session.execute(
        select(TrailEntryRecord.seq, TrailEntryRecord.entry_hash).order_by(TrailEntryRecord.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, domain.GENESIS_HASH)
    body = envelope["data"]
    occurred_at = str(meta["occurred_at"])
    session.add(TrailEntryRecord(
        seq=seq, event_id=event_id, event_type=meta["type"], source=meta["source"],
        correlation_id=meta["correlation_id"], occurred_at=occurred_at, body=body, prev_hash=prev,
        entry_hash=domain.entry_hash(prev, seq, event_id, meta["type"], meta["source"], meta["correlation_id"],
                                     occurred_at, body),
        recorded_at=deps.now(),
    ))
    _project(deps, meta["type"], body)
    return True


def _project(deps: Deps, event_type: str, data: dict) -> None:
    """The penalty summary (C4) follows the bureaus' penalty events as they enter the trail. Events of different
    types may overtake each other on the broker: a closure or overdue notice recorded before its penalty is applied
    when the penalty arrives."""
    if event_type == PENALTY_ISSUED and deps.session.get(Penalty, data["penalty_id"]) is None:
        penalty = Penalty(
            penalty_id=data["penalty_id"], provider_id=data["provider_id"], province=data["province"],
            kind=data["kind"], rule=data["rule"], issued_at=_aware(data["issued_at"]),
            rectify_by=_aware(data["rectify_by"]),
        )
        earlier = deps.session.execute(select(TrailEntryRecord.event_type, TrailEntryRecord.body).where(
            TrailEntryRecord.event_type.in_([RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE]),
            TrailEntryRecord.body["penalty_id"].as_string() == data["penalty_id"]))
        for earlier_type, body in earlier:
            setattr(penalty, _PENALTY_COLUMN[earlier_type], _aware(body["at"]))
        deps.session.add(penalty)
    elif event_type in _PENALTY_COLUMN:
        deps.session.execute(update(Penalty).where(Penalty.penalty_id == data["penalty_id"])
                             .values({_PENALTY_COLUMN[event_type]: _aware(data["at"])}))


_PENALTY_COLUMN = {RECTIFICATION_CLOSED: "closed_at", RECTIFICATION_OVERDUE: "overdue_at"}


def _aware(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def trail_entries(session: Session, batch: int = 1000):
    """Every trail entry in ``seq`` order, read in batches."""
    after = 0
    while True:
        rows = session.execute(
            select(TrailEntryRecord).where(TrailEntryRecord.seq > after).order_by(TrailEntryRecord.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield TrailEntry(row.seq, row.event_id, row.event_type, row.source, row.correlation_id, row.occurred_at,
                             row.body, row.prev_hash, row.entry_hash)
        after = rows[-1].seq


def verify_trail(session: Session) -> dict:
    """``{checked, intact, first_broken: {seq, event_id, problem} | None}``."""
    checked, broken = domain.verify_chain(trail_entries(session))
    return {"checked": checked, "intact": broken is None, "first_broken": broken.to_dict() if broken else None}


# --- automatic ID check of every approved filing (P9) ---------------------------------------------------------


def on_filing_approved(deps: Deps, data: dict) -> dict:
    """P9: keep the approved filing in the stock (ID number sealed with the filing center's keys) and check its
    responsible person's ID: document validity by the rules in force, then public security. A failure raises
    exactly one ``audit_finding_raised.v1`` to the bureau of its province and the provider; an unavailable source
    is recorded as ``unavailable`` (never a pass, no finding) for the next batch run. Returns the result; the
    entrypoint runs it once per event."""
    filing = data["filing"]
    opened = unseal(filing, personal_paths(filing["sponsor"]["kind"]), deps.exchange, EXCHANGE_CONTEXT)
    person = opened["responsible_person"]
    number = "".join(str(person["document_number"]).split()).upper()
    version, sealed = seal_id(deps.cipher, number)
    stock = StockFiling(
        filing_id=data["filing_id"], version=data["version"], filing_number=data["filing_number"],
        provider_id=data["provider_id"], province=data["province"], sponsor_kind=filing["sponsor"]["kind"],
        unit_type=filing["sponsor"].get("unit_type"), approved_at=_aware(data["approved_at"]),
        document_type=person["document_type"], id_key_version=version, id_sealed=sealed,
        id_hmac=deps.hasher.digest(number, kind="person_document"),
        name_token=deps.cipher.encrypt(person["name"], context=f"{STORE_CONTEXT}.responsible_person.name"),
        mobile_token=deps.cipher.encrypt(opened["contacts"]["mobile"], context=f"{STORE_CONTEXT}.contacts.mobile"),
        sites=sorted(data["website_numbers"]),
    )
    deps.session.add(stock)
    deps.session.flush()
    deps.session.add_all(StockSite(stock_pk=stock.pk, provider_id=stock.provider_id, domain=site.lower(),
                                   approved_at=stock.approved_at) for site in stock.sites)
    reasons = check_document(person["document_type"], number, stock.approved_at.astimezone(SHANGHAI).date())
    outcome = "fail" if reasons else "pass"
    if not reasons and person["document_type"] == "resident_id":
        answer = deps.authorities.public_security.verify_person(person["name"], number)
        if answer.outcome is Outcome.UNAVAILABLE:
            outcome = "unavailable"
        elif not answer.passed:
            outcome = "fail"
            reasons = [{"field": "responsible_person.document_number", "code": f"authority_{answer.outcome.value}",
                        "message": _AUTHORITY_MESSAGES[answer.outcome], "rule": "P9"}]
    deps.session.add(CheckResult(stock_pk=stock.pk, check=ID_CHECK, outcome=outcome,
                                 codes=",".join(r["code"] for r in reasons), rules_version=deps.rules.version,
                                 checked_at=deps.now()))
    if outcome == "fail":
        raise_finding(deps, stock, ID_CHECK, reasons)
    return {"filing_id": stock.filing_id, "outcome": outcome, "reasons": reasons, "rules_version": deps.rules.version}


_AUTHORITY_MESSAGES = {
    Outcome.NOT_FOUND: "Public security does not know this ID number.",
    Outcome.MISMATCH: "Public security does not know this name with this ID number.",
    Outcome.INVALID: "Public security reports the ID card as not valid.",
}


def raise_finding(deps: Deps, stock: StockFiling, check: str, reasons: list[dict]) -> bool:
    """One ``audit_finding_raised.v1`` per filing version, check and rules version (a repeat raises nothing)."""
    exists = deps.session.execute(select(Finding.id).where(
        Finding.filing_id == stock.filing_id, Finding.version == stock.version, Finding.check == check,
        Finding.rules_version == deps.rules.version)).first()
    if exists:
        return False
    now = deps.now()
    finding = Finding(id=str(uuid.uuid4()), filing_id=stock.filing_id, version=stock.version,
                      provider_id=stock.provider_id, province=stock.province, check=check,
                      rules_version=deps.rules.version, reasons=reasons, raised_at=now)
    deps.session.add(finding)
    enqueue(deps.session, outbox, make_envelope(AUDIT_FINDING_RAISED, SERVICE, {
        "finding_id": finding.id, "filing_id": stock.filing_id, "filing_number": stock.filing_number,
        "provider_id": stock.provider_id, "province": stock.province, "check": check,
        "rules_version": deps.rules.version, "reasons": reasons, "raised_at": now.isoformat(),
    }, stock.filing_id))
    return True


# --- monthly spot checks (C1) ---------------------------------------------------------------------------------


def _month_range(month: str) -> tuple[datetime, datetime]:
    try:
        start, end = domain.month_bounds(month)
    except ValueError:
        raise BadRequest.about("month", "format", "A month looks like 2026-11.", "C1") from None
    return (datetime.combine(start, time(), SHANGHAI), datetime.combine(end, time(), SHANGHAI))


def draw_monthly_sample(deps: Deps, month: str, seed: int | None, actor: str) -> dict:
    """C1: the stratified sample of ``month``'s new filings (by approval time, Asia/Shanghai), drawn by the rules
    in force from ``seed`` (a random one when absent, recorded either way). Drawing again with the same month,
    seed and rules returns the recorded sample."""
    start, end = _month_range(month)
    seed = seed if seed is not None else random.SystemRandom().randrange(2**62)
    existing = deps.session.execute(select(Sample).where(
        Sample.month == month, Sample.seed == seed, Sample.rules_version == deps.rules.version)).scalar_one_or_none()
    if existing is not None:
        return sample_view(deps, existing.id)
    rows = deps.session.execute(select(StockFiling.pk, StockFiling.filing_id, StockFiling.province,
                                       StockFiling.provider_id)
                                .where(StockFiling.approved_at >= start, StockFiling.approved_at < end)).all()
    by_key = {row.filing_id + f"#{row.pk}": row.pk for row in rows}
    drawn = domain.draw_sample([Candidate(row.filing_id + f"#{row.pk}", row.province, row.provider_id)
                                for row in rows], deps.rules, seed)
    sample = Sample(id=str(uuid.uuid4()), month=month, seed=seed, rules_version=deps.rules.version,
                    population=len(rows), size=len(drawn), drawn_by=actor, drawn_at=deps.now())
    deps.session.add(sample)
    deps.session.flush()
    for candidate, stratum in drawn:
        deps.session.add(SampleItem(sample_id=sample.id, stock_pk=by_key[candidate.key], stratum=stratum,
                                    rules_version=deps.rules.version))
    deps.session.flush()
    return sample_view(deps, sample.id)


def sample_view(deps: Deps, sample_id: str) -> dict:
    sample = deps.session.get(Sample, sample_id)
    if sample is None:
        raise NotFound.about("sample_id", "not_found", "No such sample.", "C1")
    items = deps.session.execute(
        select(SampleItem, StockFiling.filing_id, StockFiling.filing_number, StockFiling.provider_id,
               StockFiling.province)
        .join(StockFiling, StockFiling.pk == SampleItem.stock_pk).where(SampleItem.sample_id == sample_id)
        .order_by(SampleItem.stratum, StockFiling.filing_id)
    ).all()
    return {
        "sample_id": sample.id, "month": sample.month, "seed": sample.seed, "rules_version": sample.rules_version,
        "population": sample.population, "size": sample.size, "drawn_by": sample.drawn_by,
        "items": [{"item_id": item.id, "filing_id": filing_id, "filing_number": number, "provider_id": provider,
                   "province": province, "stratum": item.stratum, "phone_result": item.phone_result,
                   "checked_by": item.checked_by} for item, filing_id, number, provider, province in items],
    }


def record_phone_check(deps: Deps, sample_id: str, item_id: int, result: str, actor: str) -> dict:
    """C1: an auditor phoned the sponsor of a sampled filing; a result other than ``confirmed`` raises a
    ``spot_check`` finding. Recording the same result again changes nothing; another result is a conflict."""
    if result not in deps.rules.phone_results:
        raise BadRequest.about("result", "one_of", f"One of {', '.join(deps.rules.phone_results)}.", "C1")
    item = deps.session.get(SampleItem, item_id)
    if item is None or item.sample_id != sample_id:
        raise NotFound.about("item_id", "not_found", "No such item in this sample.", "C1")
    if item.phone_result is not None:
        if item.phone_result != result:
            raise Conflict.about("result", "already_recorded", "A different result is recorded already.", "C1")
        return sample_view(deps, sample_id)
    item.phone_result, item.checked_by, item.checked_at = result, actor, deps.now()
    stock = deps.session.get(StockFiling, item.stock_pk)
    deps.session.add(CheckResult(stock_pk=stock.pk, check=SPOT_CHECK,
                                 outcome="pass" if result == "confirmed" else "fail",
                                 codes="" if result == "confirmed" else f"phone_{result}",
                                 rules_version=deps.rules.version, checked_at=deps.now()))
    if result != "confirmed":
        raise_finding(deps, stock, SPOT_CHECK, [{
            "field": "contacts.mobile", "code": f"phone_{result}",
            "message": f"The filing center's phone check of the sponsor gave: {result}.", "rule": "C1"}])
    deps.session.flush()
    return sample_view(deps, sample_id)


def monthly_report(deps: Deps, month: str) -> dict:
    """C1, P9: per provider, the month's new filings, the automatic check's failures and the phone checks
    (checked, confirmed, accuracy), with the rules versions the results used."""
    start, end = _month_range(month)
    auto = deps.session.execute(
        select(StockFiling.provider_id, func.count(func.distinct(StockFiling.pk)),
               func.count(func.distinct(CheckResult.stock_pk)).filter(CheckResult.outcome == "fail"))
        .outerjoin(CheckResult, (CheckResult.stock_pk == StockFiling.pk) & (CheckResult.check == ID_CHECK))
        .where(StockFiling.approved_at >= start, StockFiling.approved_at < end)
        .group_by(StockFiling.provider_id)
    ).all()
    phone = deps.session.execute(
        select(StockFiling.provider_id, func.count(SampleItem.id).filter(SampleItem.phone_result.is_not(None)),
               func.count(SampleItem.id).filter(SampleItem.phone_result == "confirmed"))
        .join(SampleItem, SampleItem.stock_pk == StockFiling.pk).join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.month == month).group_by(StockFiling.provider_id)
    ).all()
    phones = {provider: (checked, confirmed) for provider, checked, confirmed in phone}
    providers = []
    for provider, filings, failed in sorted(auto):
        checked, confirmed = phones.get(provider, (0, 0))
        providers.append({"provider_id": provider, "filings": filings, "id_check_failed": failed,
                          "id_check_accuracy": domain.ratio(filings - failed, filings),
                          "phone_checked": checked, "phone_confirmed": confirmed,
                          "phone_accuracy": domain.ratio(confirmed, checked)})
    return {"month": month, "rules_version": deps.rules.version, "providers": providers}


# --- hosted-site inventories and the quarterly report (P10, C2) -----------------------------------------------

INVENTORY_COLUMNS = ("domain",)
PROVIDER_ID_LENGTH = HostedSite.provider_id.type.length


def import_inventory(deps: Deps, provider_id: str, csv_text: str) -> dict:
    """P10: replace a provider's hosted-site inventory with a CSV that has a ``domain`` column (other columns are
    ignored). Every bad row is reported at once as ``{field: "row N.domain", ...}`` and nothing is stored."""
    if not 0 < len(provider_id) <= PROVIDER_ID_LENGTH:
        raise BadRequest.about("provider_id", "length", f"A provider id has 1 to {PROVIDER_ID_LENGTH} characters.",
                               "P10")
    reader = csv.DictReader(io.StringIO(csv_text, newline=""))
    try:
        fieldnames, rows = reader.fieldnames or [], list(reader)
    except csv.Error as exc:
        # A broken quote or an oversized field: say which rule broke, never echo the text.
        raise BadRequest.about("body", "csv", f"The inventory is not well-formed CSV: {exc}.", "P10") from None
    if "domain" not in [name.strip().lower() for name in fieldnames]:
        raise BadRequest.about("domain", "missing_column", "The inventory CSV needs a domain column.", "P10")
    column = next(name for name in fieldnames if name.strip().lower() == "domain")
    domains, errors = set(), []
    for number, row in enumerate(rows, start=2):
        value = (row.get(column) or "").strip()
        try:
            domains.add(validate_domain(value).ascii.lower())
        except InvalidValue as exc:
            errors.append({"field": f"row {number}.domain", "code": exc.code, "message": exc.message,
                           "rule": exc.rule})
    if errors:
        raise BadRequest("the inventory has invalid rows", errors)
    import_id, now = str(uuid.uuid4()), deps.now()
    deps.session.query(HostedSite).filter(HostedSite.provider_id == provider_id).delete()
    deps.session.add_all(HostedSite(provider_id=provider_id, domain=domain, import_id=import_id, imported_at=now)
                         for domain in sorted(domains))
    deps.session.flush()
    return {"provider_id": provider_id, "import_id": import_id, "sites": len(domains)}


def _quarter_end(quarter: str) -> datetime:
    try:
        _start, end = domain.quarter_bounds(quarter)
    except ValueError:
        raise BadRequest.about("quarter", "format", "A quarter looks like 2026Q4.", "P10") from None
    return datetime.combine(end, time(), SHANGHAI)


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


def latest_run(session: Session) -> CheckRun | None:
    return session.execute(select(CheckRun).where(CheckRun.finished_at.is_not(None))
                           .order_by(CheckRun.finished_at.desc()).limit(1)).scalar_one_or_none()


def quarterly_report(deps: Deps, quarter: str) -> dict:
    """P10, C2: accuracy of the stock at the quarter's end per province and per provider (the latest batch check
    run's findings, or the checks on arrival before any run), the quarter's phone-check accuracy, and each
    provider's filing rate against its hosted-site inventory."""
    end = _quarter_end(quarter)
    run = latest_run(deps.session)
    parameters = {"run": run.id if run else None, "end": end, "month": end.strftime("%Y-%m")}
    flagged_sql = RUN_FLAGGED_SQL if run else ARRIVAL_FLAGGED_SQL
    flagged_by = {(province, provider): int(count) for province, provider, count
                  in deps.session.execute(text(flagged_sql), parameters)}
    provinces: dict[str, list[int]] = {}
    providers: dict[str, list[int]] = {}
    for province, provider, filings in deps.session.execute(text(QUARTERLY_STOCK_SQL), parameters):
        flagged = flagged_by.get((province, provider), 0)
        for table, key in ((provinces, province), (providers, provider)):
            totals = table.setdefault(key, [0, 0])
            totals[0] += filings
            totals[1] += flagged
    rates = {provider: {"hosted": hosted, "filed": filed, "rate": domain.ratio(filed, hosted)}
             for provider, hosted, filed in deps.session.execute(text(FILING_RATE_SQL), {"end": end})}

    def row(key: str, totals: list[int]) -> dict:
        return {"filings": totals[0], "flagged": totals[1], "accuracy": domain.ratio(totals[0] - totals[1], totals[0])}

    return {
        "quarter": quarter, "rules_version": run.rules_version if run else deps.rules.version,
        "run_id": run.id if run else None,
        "provinces": [{"province": key, **row(key, value)} for key, value in sorted(provinces.items())],
        "providers": [{"provider_id": key, **row(key, providers.get(key, [0, 0])),
                       "filing_rate": rates.get(key)}
                      for key in sorted(set(providers) | set(rates))],
    }


def penalty_summary(deps: Deps) -> dict:
    """C4: the bureaus' penalties by province and kind: issued, closed, overdue, open."""
    rows = deps.session.execute(select(Penalty.province, Penalty.kind, func.count(),
                                       func.count(Penalty.closed_at), func.count(Penalty.overdue_at))
                                .group_by(Penalty.province, Penalty.kind).order_by(Penalty.province, Penalty.kind))
    return {"penalties": [{"province": p, "kind": k, "issued": n, "closed": c, "overdue": o, "open": n - c}
                          for p, k, n, c, o in rows]}


def now_utc() -> datetime:
    return datetime.now(UTC)
