"""X4: drafts nobody touched for 45 days expire (cancelled), announced at 30 and 40 days; each event once, with the
outbox, the sponsor told by notify at the contacts the draft holds."""

from dataclasses import replace
from datetime import datetime, timedelta

from intake.domain import drafts as rules
from intake.domain import filing as lifecycle
from intake.domain.filing import Filing
from intake.repository import IntakeUnitOfWork
from intake.usecases.filings import apply
from shared.contracts.intake import DRAFT_EXPIRED, DRAFT_EXPIRY_ANNOUNCED, SEAL_CONTEXT
from shared.platform.sealing import seal

TIMER = "intake:timer"
REASON = "draft untouched for 45 days: expired (X4)"


def _sealed_contacts(uow: IntakeUnitOfWork, cipher, filing: Filing) -> dict:
    contacts = uow.filings.data(filing.id, filing.version).get("contacts") or {}
    given = {field: contacts[field] for field in ("mobile", "email") if contacts.get(field)}
    return seal(given, tuple(given), cipher, f"{SEAL_CONTEXT}.contacts")


def run_drafts(uow: IntakeUnitOfWork, cipher, provider_id: str, at: datetime) -> dict:
    """The timer's step: reminders due and drafts expired. Returns ``{"draft_reminded": n, "draft_expired": m}``."""
    reminded = expired = 0
    for filing in uow.filings.stale_drafts(provider_id, at - timedelta(days=rules.DRAFT_REMINDER_DAYS[0])):
        due = rules.draft_due(filing.updated_at, filing.draft_reminders, at)
        if due is None:
            continue
        data = {"filing_id": filing.id, "provider_id": filing.provider_id,
                "expires_at": rules.expires_at(filing.updated_at).isoformat(),
                "contacts": _sealed_contacts(uow, cipher, filing)}
        if due == rules.DraftDue.REMIND:
            filing = replace(filing, draft_reminders=filing.draft_reminders + 1)
            uow.filings.save(filing)
            uow.emit(DRAFT_EXPIRY_ANNOUNCED, {**data, "reminder": filing.draft_reminders}, filing.id)
            reminded += 1
        else:
            apply(uow, lifecycle.cancel(filing, TIMER, REASON, at))
            uow.emit(DRAFT_EXPIRED, {**data, "reminder": filing.draft_reminders}, filing.id)
            expired += 1
    return {"draft_reminded": reminded, "draft_expired": expired}
