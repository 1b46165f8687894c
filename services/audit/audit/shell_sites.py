"""X5: shell sites (空壳), the pure rules: an approved site that its provider no longer hosts. Two signals, each
raising its own finding with a rectification window:

- the inventory: the provider's approved sites (intake's list, followed here through ``approved_sites_changed.v1``)
  compared with its latest hosted-site inventory (P10, ``icp-ops inventory load``); a site approved but not in it
  is a finding (``not_in_inventory``), closed when the site is in it again (``hosted_again``);
- the probe: each approved domain resolved (CNAMEs followed) and asked for ``HEAD /``; a site that for a
  configured number of days resolves outside the provider's ranges (the configured CDN ranges count as its own),
  or whose addresses in them do not answer, is a finding (``resolves_outside``, ``no_answer``), closed when it
  resolves into the ranges and answers again (``resolves_again``). A probe that could not ask (the resolver did
  not answer) judges nothing.

Either closes when the site is no longer approved. Pure (stdlib and ``shared.kernel`` only), like
``audit.domain``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.kernel.network import Network, in_ranges

NOT_IN_INVENTORY = "not_in_inventory"
RESOLVES_OUTSIDE = "resolves_outside"
NO_ANSWER = "no_answer"
PROBE_REASONS = (RESOLVES_OUTSIDE, NO_ANSWER)
HOSTED_AGAIN = "hosted_again"
RESOLVES_AGAIN = "resolves_again"
NO_LONGER_APPROVED = "no_longer_approved"

HOSTED = "hosted"  # a probe's outcome: resolves into the ranges and answers
UNKNOWN = "unknown"  # a probe's outcome: the resolver did not answer, nothing is judged


@dataclass
class ShellSite:
    """One finding on ``domain`` (ASCII) of ``provider_id``: missing from the inventory ``import_id``
    (``not_in_inventory``), or found by the probe (``resolves_outside``, ``no_answer``: ``addresses`` as last
    resolved)."""

    id: str
    provider_id: str
    domain: str
    import_id: str | None
    found_at: datetime
    rectify_by: datetime
    cleared_at: datetime | None = None
    cleared_reason: str | None = None
    reason: str = NOT_IN_INVENTORY
    addresses: list[str] | None = None

    @property
    def probed(self) -> bool:
        return self.reason in PROBE_REASONS


@dataclass
class SiteProbe:
    """The last probe of an approved domain: its ``outcome`` and ``addresses``, and since when it has failed
    without a break (None while it resolves into the ranges and answers)."""

    provider_id: str
    domain: str
    outcome: str
    addresses: list[str]
    probed_at: datetime
    failing_since: datetime | None = None


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


def judge(addresses: list[str] | None, ranges: tuple[Network, ...], answered: bool) -> str:
    """X5: a probe's outcome: ``addresses`` is what the domain resolved to (CNAMEs followed; [] when it resolves to
    nothing, None when the resolver did not answer), ``answered`` whether one of those in ``ranges`` (the
    provider's and the CDN ranges) answered ``HEAD``."""
    if addresses is None:
        return UNKNOWN
    if not any(in_ranges(address, ranges) for address in addresses):
        return RESOLVES_OUTSIDE
    return HOSTED if answered else NO_ANSWER


def probed(last: SiteProbe | None, provider_id: str, domain_name: str, outcome: str, addresses: list[str] | None,
           now: datetime) -> SiteProbe:
    """The domain's probe record after a probe with ``outcome``: a failure keeps the start of the run of failures
    it continues (``resolves_outside`` and ``no_answer`` alike), a success ends it, an unknown outcome changes
    nothing but the time."""
    if outcome == UNKNOWN:
        return SiteProbe(provider_id, domain_name, outcome, last.addresses if last else [], now,
                         last.failing_since if last else None)
    failing_since = None if outcome == HOSTED else (last.failing_since if last and last.failing_since else now)
    return SiteProbe(provider_id, domain_name, outcome, list(addresses or []), now, failing_since)


def probe_due(probe: SiteProbe, has_open: bool, failing_days: float, now: datetime) -> str | None:
    """X5: what the probe record asks of the domain's probe finding: ``"raise"`` once it has failed for
    ``failing_days`` without a break and none is open, ``"clear"`` when it resolves and answers again with one
    open, else None."""
    if probe.outcome == HOSTED:
        return "clear" if has_open else None
    if probe.outcome == UNKNOWN:
        return None
    failing = probe.failing_since is not None and now - probe.failing_since >= timedelta(days=failing_days)
    return "raise" if failing and not has_open else None
