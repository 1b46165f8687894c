"""What the rest of the workflow tells intake, shown on the sponsor's timeline (P2–P8): the precheck outcome, the
on-site steps, the bureau's return or approval (with the sites it numbers) and a retired number. Each handler
claims its event once (``shared.platform.entrypoints.handles``); an event about a filing that is not this
provider's can never apply, so it changes nothing and is not requeued for ever."""

from datetime import datetime, timedelta

import structlog

from intake.domain import filing as lifecycle
from intake.domain.filing import Filing
from intake.repository import IntakeUnitOfWork
from intake.usecases.filings import Viewer, apply, load
from intake.usecases.revisits import schedule_revisit
from intake.usecases.sites import set_sites
from shared.contracts.errors import NotFound

log = structlog.get_logger(__name__)


def _for_event(uow: IntakeUnitOfWork, provider_id: str, filing_id: str) -> Filing | None:
    try:
        return load(uow, Viewer(provider_id), filing_id, lock=True)
    except NotFound:
        log.warning("event_for_unknown_filing", filing_id=filing_id)
        return None


def record_precheck(uow: IntakeUnitOfWork, provider_id: str, data: dict, passed: bool, at: datetime) -> None:
    """Show the precheck outcome (P2); a failed filing becomes editable and can be resubmitted."""
    filing = _for_event(uow, provider_id, data["filing_id"])
    if filing is not None:
        apply(uow, lifecycle.precheck_outcome(filing, data, passed, at))


def record_step(uow: IntakeUnitOfWork, provider_id: str, data: dict, step: str, at: datetime,
                revisit_interval: timedelta) -> None:
    """Show the steps after pre-verification (P3–P8) on the sponsor's timeline
    (:func:`intake.domain.filing.workflow_step`). A stock filing verified on site is done with its
    re-verification (W6) and from then on revisited like every approved filing (W5)."""
    filing = _for_event(uow, provider_id, data["filing_id"])
    if filing is None:
        return
    if step == "onsite_verified" and uow.revisits.stock_verified(filing.id, data["decided_at"]):
        filing = apply(uow, lifecycle.confirmed(filing, data["decided_by"], at, "stock filing verified on site (W6)"))
        schedule_revisit(uow, filing, data["decided_at"], revisit_interval)
    apply(uow, lifecycle.workflow_step(filing, step, data, at))


def record_approval(uow: IntakeUnitOfWork, provider_id: str, data: dict, at: datetime,
                    revisit_interval: timedelta) -> None:
    """P8: the bureau issued the filing number: the filing's sites may be connected, and it is revisited (W5)."""
    filing = _for_event(uow, provider_id, data["filing_id"])
    if filing is None or filing.state == lifecycle.FilingState.CANCELLED:
        return
    filing = apply(uow, lifecycle.approve(filing, data, at))
    set_sites(uow, filing.provider_id, filing.id, data["website_numbers"], data["approved_at"], at)
    schedule_revisit(uow, filing, data["approved_at"], revisit_interval)


def record_number_retired(uow: IntakeUnitOfWork, provider_id: str, data: dict, at: datetime) -> None:
    """The bureau retired a cancelled filing's number: none of its sites may stay connected (P8)."""
    filing = _for_event(uow, provider_id, data["filing_id"])
    if filing is not None:
        set_sites(uow, filing.provider_id, filing.id, {}, at, at)
