"""The filing center's monthly spot checks (C1): a stratified sample of the month's new filings, the auditors'
phone checks of their sponsors, and the monthly report per provider (with the automatic check's results, P9)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime

from audit import domain
from audit.domain import Candidate, Rules
from audit.repository import AuditUnitOfWork
from audit.usecases.findings import raise_finding
from audit.usecases.periods import month_range
from shared.contracts.errors import BadRequest, Conflict, NotFound
from shared.kernel.errors import InvalidValue


def draw_monthly_sample(uow: AuditUnitOfWork, month: str, seed: int | None, actor: str, *, rules: Rules,
                        now: datetime) -> dict:
    """C1: the stratified sample of ``month``'s new filings (by approval time, Asia/Shanghai), drawn by the rules
    in force from ``seed`` (a random one when absent, recorded either way). Drawing again with the same month,
    seed and rules returns the recorded sample."""
    start, end = month_range(month)
    seed = seed if seed is not None else random.SystemRandom().randrange(2**62)
    existing = uow.samples.find(month, seed, rules.version)
    if existing is not None:
        return sample_view(uow, existing.id)
    filings = uow.stock.approved_between(start, end)
    by_key = {f"{filing.filing_id}#{filing.pk}": filing.pk for filing in filings}
    drawn = domain.draw_sample([Candidate(f"{filing.filing_id}#{filing.pk}", filing.province, filing.provider_id)
                                for filing in filings], rules, seed)
    sample = domain.Sample(id=str(uuid.uuid4()), month=month, seed=seed, rules_version=rules.version,
                           population=len(filings), size=len(drawn), drawn_by=actor, drawn_at=now)
    uow.samples.add(sample, [domain.SampleItem(sample_id=sample.id, stock_pk=by_key[candidate.key], stratum=stratum,
                                               rules_version=rules.version) for candidate, stratum in drawn])
    return sample_view(uow, sample.id)


def sample_view(uow: AuditUnitOfWork, sample_id: str) -> dict:
    """C1: the sample and its items, each with its filing and phone check."""
    sample = uow.samples.get(sample_id)
    if sample is None:
        raise NotFound.about("sample_id", "not_found", "No such sample.", "C1")
    return {
        "sample_id": sample.id, "month": sample.month, "seed": sample.seed, "rules_version": sample.rules_version,
        "population": sample.population, "size": sample.size, "drawn_by": sample.drawn_by,
        "items": [{"item_id": item.id, "filing_id": stock.filing_id, "filing_number": stock.filing_number,
                   "provider_id": stock.provider_id, "province": stock.province, "stratum": item.stratum,
                   "phone_result": item.phone_result, "checked_by": item.checked_by}
                  for item, stock in uow.samples.items_with_filings(sample_id)],
    }


def record_phone_check(uow: AuditUnitOfWork, sample_id: str, item_id: int, result: str, actor: str, *,
                       rules: Rules, now: datetime) -> dict:
    """C1: an auditor phoned the sponsor of a sampled filing (``domain.record_phone_check``); a result other than
    ``confirmed`` raises a ``spot_check`` finding. Recording the same result again changes nothing; another result
    is a conflict."""
    try:
        domain.check_phone_result(result, rules)
    except InvalidValue as exc:
        raise BadRequest.about("result", exc.code, exc.message, exc.rule) from None
    item = uow.samples.item(item_id)
    if item is None or item.sample_id != sample_id:
        raise NotFound.about("item_id", "not_found", "No such item in this sample.", "C1")
    try:
        checked = domain.record_phone_check(item, result, actor, now, rules)
    except domain.PhoneResultConflict as exc:
        raise Conflict.about("result", exc.code, exc.message, exc.rule) from None
    if checked is None:
        return sample_view(uow, sample_id)
    uow.samples.save_item(checked.item)
    uow.checks.add(domain.CheckResult(stock_pk=item.stock_pk, check=domain.SPOT_CHECK, outcome=checked.outcome,
                                      codes=checked.codes, rules_version=rules.version, checked_at=now))
    if checked.reasons:
        raise_finding(uow, uow.stock.get(item.stock_pk), domain.SPOT_CHECK, checked.reasons, rules.version, now)
    return sample_view(uow, sample_id)


def monthly_report(uow: AuditUnitOfWork, month: str, *, rules: Rules) -> dict:
    """C1, P9: per provider, the month's new filings, the automatic check's failures and the phone checks
    (checked, confirmed, accuracy), with the rules versions the results used."""
    start, end = month_range(month)
    phones = uow.reports.phone_checks_by_provider(month)
    providers = []
    for provider, filings, failed in sorted(uow.reports.id_checks_by_provider(start, end)):
        checked, confirmed = phones.get(provider, (0, 0))
        providers.append({"provider_id": provider, "filings": filings, "id_check_failed": failed,
                          "id_check_accuracy": domain.ratio(filings - failed, filings),
                          "phone_checked": checked, "phone_confirmed": confirmed,
                          "phone_accuracy": domain.ratio(confirmed, checked)})
    return {"month": month, "rules_version": rules.version, "providers": providers}
