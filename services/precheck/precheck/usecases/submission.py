"""P2: a submitted or changed filing opens a case: the rulebook's checks, a deadline of 5 working days, and
either a fail at once or one-time codes to confirm its contacts. The submission is kept, sealed, for
``precheck_passed.v2``."""

import uuid
from collections.abc import Callable
from datetime import datetime

from precheck import domain
from precheck.domain import CaseState, Context, Finding, Rulebook, Severity
from precheck.models import Case, Confirmation
from precheck.readings import compare_scans
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases.common import (
    STORE_CONTEXT,
    SUBMISSION_CONTEXT,
)
from precheck.usecases.contacts import send_code
from precheck.usecases.outcome import advance_if_confirmed, record_decision
from shared.contracts.intake import READING_PATHS, SEAL_CONTEXT, personal_paths
from shared.contracts.precheck import (
    PassedSubmissionSchema,
)
from shared.kernel.province_rules import REQUIREMENT, ProvinceRules, check_filing
from shared.kernel.workdays import SHANGHAI
from shared.platform.calendar import deadline_fields
from shared.platform.logging import mask_field
from shared.platform.sealing import seal, unseal


def _stored_submission(cipher, filing: dict) -> dict:
    """The submission as received (``filing``: unsealed), kept for ``precheck_passed.v2``: its personal fields
    sealed under precheck's store context (design.md §5)."""
    received = {**PassedSubmissionSchema().dump(filing), "filing_number": filing.get("filing_number"),
                "previous_version": filing.get("previous_version")}
    return seal(received, personal_paths(filing["sponsor"]["kind"]), cipher, SUBMISSION_CONTEXT)


def _with_readings(filing: dict, cipher) -> dict:
    """X7: the submission with what OCR read of its scans unsealed, for the rulebook's ``scan_readings``."""
    documents = [{**d, "reading": unseal(d["reading"], READING_PATHS, cipher, SEAL_CONTEXT)} if d.get("reading")
                 else d for d in filing.get("documents") or []]
    return {**filing, "documents": documents}


def _masked(finding: dict) -> dict:
    """X7: a finding as the case keeps it and staff read it: what was entered and what was read masked like the
    field they belong to (design.md §5: ``110105********002X``)."""
    details, leaf = finding.get("details"), finding["field"].rsplit(".", 1)[-1]
    if not details or leaf not in ("name", "document_number"):
        return finding
    shown = {key: None if details.get(key) is None else mask_field(leaf, str(details[key]))
             for key in ("entered", "read")}
    return {**finding, "details": {**details, **shown}}


def _province_findings(rules: ProvinceRules, filing: dict, today) -> list[Finding]:
    """X3: the sponsor's province's own rules in force on the day of submission, as findings naming the rule
    and the province rules' version (``PRV-50-LEGAL@provinces-2026.1``)."""
    return [Finding(p.field, p.code, p.message, p.rule.split("@")[0], REQUIREMENT, Severity(p.severity),
                    rules.label, params=p.params) for p in check_filing(rules, filing, today)]


def on_submitted(uow: PrecheckUnitOfWork, data: dict, *, cipher, hasher, rulebook: Rulebook,
                 province_rules: ProvinceRules, auto_pass: bool, now: Callable[[], datetime]) -> None:
    """P2: a (re)submitted filing is checked by the rulebook and its province's rules (X3), gets a
    5-working-day deadline, and either fails at once or has its contacts confirmed by one-time codes (the
    entrypoint claims each event once). The submission is kept, sealed, for ``precheck_passed.v2``."""
    if uow.cases.of_submission(data["filing_id"], data["version"], data["attempt"]) is not None:
        return  # the same submission under another event id: one case per submission
    filing = _with_readings(unseal(data, personal_paths(data["sponsor"]["kind"]), cipher, SEAL_CONTEXT), cipher)
    at = now()
    previous = _supersede_open_cases(uow, data["filing_id"])
    sponsor_hmac = hasher.digest(domain.sponsor_key(filing), kind="sponsor")
    mobile_hmac = data["lookups"]["mobile"]
    submitted_at = data["submitted_at"]
    # ID numbers are judged on the day intake judged them, however late this runs (shared.kernel.identifiers)
    today = submitted_at.astimezone(SHANGHAI).date()
    context = Context(today=today,
                      mobile_used_by_other_sponsor=uow.cases.mobile_used_by_other_sponsor(mobile_hmac, sponsor_hmac),
                      scan_differences=tuple(compare_scans(filing, today)))
    findings = domain.run_rulebook(rulebook, filing, context) + _province_findings(province_rules, filing, today)
    case = Case(
        id=str(uuid.uuid4()),
        filing_id=data["filing_id"],
        version=data["version"],
        attempt=data["attempt"],
        provider_id=data["provider_id"],
        province=data["province"],
        state=domain.state_after_checks(findings),
        sponsor_hmac=sponsor_hmac,
        mobile_hmac=mobile_hmac,
        mobile_token=cipher.encrypt(filing["contacts"]["mobile"], context=f"{STORE_CONTEXT}.mobile"),
        submission=_stored_submission(cipher, filing),
        findings=[_masked(f.to_dict()) for f in findings],
        rulebook_version=rulebook.version,
        submitted_at=submitted_at,
        **deadline_fields(uow.calendar.working(), submitted_at, domain.PRECHECK_WORKING_DAYS),
        reasons=[],
        created_at=at,
    )
    uow.cases.add(case)
    if case.state == CaseState.FAILED:
        reasons = [f.reason() for f in domain.blocking(findings)]
        record_decision(uow, cipher, case, domain.decided(False), reasons=reasons,
                         actor=f"precheck:auto:{rulebook.version}", at=at)
        return
    recipients = {"sms": filing["contacts"]["mobile"], "email": filing["contacts"]["email"]}
    confirmed_before = uow.confirmations.confirmed_recipients([c.id for c in previous])
    for channel, recipient in recipients.items():
        confirmation = Confirmation(
            id=str(uuid.uuid4()),
            case_id=case.id,
            channel=channel,
            recipient_hmac=hasher.digest(recipient, kind=f"contact.{channel}"),
            recipient_token=cipher.encrypt(recipient, context=f"{STORE_CONTEXT}.recipient"),
            code_digest="",
            expires_at=at,
            tries=0,
            send_times=[],
        )
        if confirmation.recipient_hmac in confirmed_before:
            confirmation.confirmed_at = at  # confirmed for an earlier submission of this filing
        uow.confirmations.add(confirmation)
        if confirmation.confirmed_at is None:
            send_code(uow, cipher, case, confirmation, recipient, at)
    advance_if_confirmed(uow, cipher, case, auto_pass=auto_pass, at=at)


def _supersede_open_cases(uow: PrecheckUnitOfWork, filing_id: str) -> list[Case]:
    cases = uow.cases.of_filing(filing_id)
    for case in cases:
        case.state = domain.superseded(case.state)
    return cases
