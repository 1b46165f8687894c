"""X5: shell sites (空壳), the pure rules: an approved site that its provider no longer hosts. The provider's
approved sites (intake's list, followed here through ``approved_sites_changed.v1``) are compared with its latest
hosted-site inventory (P10, ``icp-ops inventory load``); a site approved but not hosted is a finding with a
rectification window, closed when the site is hosted again or no longer approved. Pure (stdlib only), like
``audit.domain``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

HOSTED_AGAIN = "hosted_again"
NO_LONGER_APPROVED = "no_longer_approved"


@dataclass
class ShellSite:
    """One finding: ``domain`` (ASCII) of ``provider_id`` found missing from the inventory ``import_id``."""

    id: str
    provider_id: str
    domain: str
    import_id: str
    found_at: datetime
    rectify_by: datetime
    cleared_at: datetime | None = None
    cleared_reason: str | None = None


def changes(approved: set[str], hosted: set[str], open_findings: set[str]) -> tuple[list[str], dict[str, str]]:
    """``(found, cleared)``: the approved domains not hosted that have no open finding yet (sorted), and for each
    open finding whose domain is hosted again or no longer approved, why it closes."""
    shells = approved - hosted
    found = sorted(shells - open_findings)
    cleared = {d: (HOSTED_AGAIN if d in approved else NO_LONGER_APPROVED) for d in sorted(open_findings - shells)}
    return found, cleared


def rectify_by(found_at: datetime, window_days: int) -> datetime:
    """X5: the end of the rectification window the provider's staff have to host the site again or cancel its
    access."""
    return found_at + timedelta(days=window_days)


def applies(stored_revision: int | None, revision: int) -> bool:
    """A change of the approved-sites list applies to a domain only if it is newer than what was applied to it
    (events may arrive out of order: the revision orders them)."""
    return stored_revision is None or revision > stored_revision
