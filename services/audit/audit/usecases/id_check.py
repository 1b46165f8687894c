"""The automatic ID check of every filing a bureau approved (P9)."""

from __future__ import annotations

from datetime import datetime

from audit import domain
from audit.checks import check_document, seal_id
from audit.domain import Rules
from audit.repository import AuditUnitOfWork
from audit.usecases.findings import raise_finding
from audit.usecases.periods import aware
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.kernel.workdays import SHANGHAI
from shared.platform.authority import PublicSecurity
from shared.platform.crypto import PersonalDataTools
from shared.platform.sealing import unseal

STORE_CONTEXT = "audit.stock"


def on_filing_approved(uow: AuditUnitOfWork, data: dict, *, keys: PersonalDataTools,
                       public_security: PublicSecurity, rules: Rules, now: datetime) -> dict:
    """P9: keep the approved filing in the stock (ID number sealed with the filing center's keys) and check its
    responsible person's ID: document validity by the rules in force, then public security. A failure raises
    exactly one ``audit_finding_raised.v1`` to the bureau of its province and the provider; an unavailable source
    is recorded as ``unavailable`` (never a pass, no finding) for the next batch run. Returns the result; the
    entrypoint runs it once per event."""
    filing = data["filing"]
    opened = unseal(filing, personal_paths(filing["sponsor"]["kind"]), keys.exchange, EXCHANGE_CONTEXT)
    person = opened["responsible_person"]
    number = "".join(str(person["document_number"]).split()).upper()
    version, sealed = seal_id(keys.cipher, number)
    stock = uow.stock.add(domain.StockFiling(
        filing_id=data["filing_id"], version=data["version"], filing_number=data["filing_number"],
        provider_id=data["provider_id"], province=data["province"], sponsor_kind=filing["sponsor"]["kind"],
        unit_type=filing["sponsor"].get("unit_type"), approved_at=aware(data["approved_at"]),
        document_type=person["document_type"], id_key_version=version, id_sealed=sealed,
        id_hmac=keys.hasher.digest(number, kind="person_document"),
        name_token=keys.cipher.encrypt(person["name"], context=f"{STORE_CONTEXT}.responsible_person.name"),
        mobile_token=keys.cipher.encrypt(opened["contacts"]["mobile"], context=f"{STORE_CONTEXT}.contacts.mobile"),
        sites=sorted(data["website_numbers"]),
    ))
    reasons = check_document(person["document_type"], number, stock.approved_at.astimezone(SHANGHAI).date())
    authority = None
    if not reasons and person["document_type"] == "resident_id":
        authority = public_security.verify_person(person["name"], number).outcome.value
    verdict = domain.id_verdict(reasons, authority)
    uow.checks.add(domain.CheckResult(stock_pk=stock.pk, check=domain.ID_CHECK, outcome=verdict.outcome,
                                      codes=",".join(r["code"] for r in verdict.reasons),
                                      rules_version=rules.version, checked_at=now))
    if verdict.outcome == "fail":
        raise_finding(uow, stock, domain.ID_CHECK, verdict.reasons, rules.version, now)
    return {"filing_id": stock.filing_id, "outcome": verdict.outcome, "reasons": verdict.reasons,
            "rules_version": rules.version}
