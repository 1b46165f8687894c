"""P8: the sites the provider may connect — the domains of its approved filings with their website numbers — kept
in step with approvals, cancellations and retired numbers, each change announced as ``approved_sites_changed.v1``
in the same transaction."""

from datetime import datetime

from intake.domain.sites import changed_sites
from intake.repository import IntakeUnitOfWork
from shared.contracts.intake import APPROVED_SITES_CHANGED


def set_sites(uow: IntakeUnitOfWork, provider_id: str, filing_id: str, website_numbers: dict[str, str],
              approved_at: datetime, at: datetime) -> None:
    """Make ``website_numbers`` (ASCII domain -> website number) the filing's approved sites; a change bumps the
    list's revision and is announced."""
    current = uow.sites.touched(filing_id, website_numbers)
    added, removed, changed = changed_sites(current, filing_id, website_numbers)
    uow.sites.remove(removed)
    for domain, number in website_numbers.items():
        if current.get(domain) != (filing_id, number):
            uow.sites.put(domain, filing_id, number, approved_at)
    if changed:
        announce(uow, provider_id, added, removed, filing_id, at)


def announce(uow: IntakeUnitOfWork, provider_id: str, added: list[str], removed: list[str], correlation_id: str,
             at: datetime) -> None:
    """A new revision of the approved-sites list, and its ``approved_sites_changed.v1`` in the same transaction."""
    revision, count = uow.sites.bump_revision(at)
    uow.emit(APPROVED_SITES_CHANGED, {"provider_id": provider_id, "revision": revision, "changed_at": at.isoformat(),
                                      "added": added, "removed": removed, "count": count}, correlation_id)


def approved_sites(uow: IntakeUnitOfWork) -> dict:
    """P8: the domains the provider may connect, with their website numbers, and the list's revision."""
    revision, changed_at, sites = uow.sites.listing()
    return {"revision": revision, "changed_at": changed_at.isoformat() if changed_at else None,
            "sites": [{**site, "approved_at": site["approved_at"].isoformat()} for site in sites]}
