"""X5: shell-site (空壳) monitoring. The provider's approved sites are followed from intake's
``approved_sites_changed.v1``; a periodic check compares them with the provider's latest hosted-site inventory
(P10) and probes each through the configured resolver and ``HEAD`` (``audit.prober``), and raises
``shell_site_found.v2`` for each approved site the provider no longer hosts (once per finding and signal, with its
rectification window), and ``shell_site_cleared.v2`` when the site is hosted again (in the inventory, or resolving
into the ranges and answering) or no longer approved. A provider without an inventory is not judged on it, one
without configured ranges is not probed: nothing says what it hosts."""

from __future__ import annotations

import uuid
from datetime import datetime

from audit import shell_sites as rules
from audit.repository import AuditUnitOfWork
from audit.shell_sites import ShellSite
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND
from shared.kernel.network import Network


def on_approved_sites_changed(uow: AuditUnitOfWork, data: dict) -> None:
    """Apply a revision of the provider's approved-sites list to the domains it names, unless a later revision
    touched them already (events may arrive out of order)."""
    provider, revision = data["provider_id"], data["revision"]
    changes = {**{d.lower(): True for d in data["added"]}, **{d.lower(): False for d in data["removed"]}}
    stored = uow.shell_sites.revisions(provider, changes)
    for domain_name, present in changes.items():
        if rules.applies(stored.get(domain_name), revision):
            uow.shell_sites.put(provider, domain_name, revision, present, data["changed_at"])


def _found(uow: AuditUnitOfWork, finding: ShellSite, failing_since: datetime | None = None) -> None:
    uow.shell_sites.add(finding)
    uow.emit(SHELL_SITE_FOUND, {
        "finding_id": finding.id, "provider_id": finding.provider_id, "domain": finding.domain,
        "reason": finding.reason, "found_at": finding.found_at.isoformat(),
        "rectify_by": finding.rectify_by.isoformat(), "inventory_import_id": finding.import_id,
        "addresses": finding.addresses or [], "failing_since": failing_since.isoformat() if failing_since else None},
        finding.id)


def _cleared(uow: AuditUnitOfWork, finding: ShellSite, reason: str, now: datetime) -> None:
    finding.cleared_at, finding.cleared_reason = now, reason
    uow.shell_sites.save(finding)
    uow.emit(SHELL_SITE_CLEARED, {"finding_id": finding.id, "provider_id": finding.provider_id,
                                  "domain": finding.domain, "found_at": finding.found_at.isoformat(),
                                  "cleared_at": now.isoformat(), "reason": reason}, finding.id)


def check_shell_sites(uow: AuditUnitOfWork, *, window_days: int, now: datetime) -> dict:
    """X5: one round of the inventory check over every provider with approved sites or open findings;
    ``{found, cleared}`` counts. A round that finds nothing new raises nothing."""
    found_total = cleared_total = 0
    for provider in uow.shell_sites.providers():
        inventory = uow.inventories.hosted(provider)
        if inventory is None:
            continue
        hosted, import_id = inventory
        open_findings = {f.domain: f for f in uow.shell_sites.findings(provider, probed=False)}
        found, cleared = rules.changes(uow.shell_sites.approved(provider), hosted, set(open_findings))
        for domain_name in found:
            _found(uow, ShellSite(str(uuid.uuid4()), provider, domain_name, import_id, now,
                                  rules.rectify_by(now, window_days)))
        for domain_name, reason in cleared.items():
            _cleared(uow, open_findings[domain_name], reason, now)
        found_total, cleared_total = found_total + len(found), cleared_total + len(cleared)
    return {"found": found_total, "cleared": cleared_total}


def probe_shell_sites(uow: AuditUnitOfWork, prober, ranges: dict[str, tuple[Network, ...]], *, window_days: int,
                      failing_days: float, now: datetime) -> dict:
    """X5: one round of the probe over every provider with approved sites or open findings: each approved domain
    of a provider with ``ranges`` (its own and the CDN ranges) resolved and asked for ``HEAD`` by ``prober``
    (:class:`audit.prober.SiteProber`); a domain failing for ``failing_days`` raises a finding, one resolving
    and answering again clears it. ``{found, cleared}`` counts.

    Every provider is probed before any finding is locked (the network waits are seconds per domain): run it before
    :func:`check_shell_sites` in one transaction, whose locks would otherwise be held over the waits."""
    approved = {provider: uow.shell_sites.approved(provider) for provider in uow.shell_sites.providers()}
    results = {provider: prober.probe_all(sorted(domains), ranges[provider])
               for provider, domains in approved.items() if domains and ranges.get(provider)}
    found = cleared = 0
    for provider, domains in approved.items():
        open_findings = {f.domain: f for f in uow.shell_sites.findings(provider, probed=True)}
        for domain_name in sorted(set(open_findings) - domains):
            _cleared(uow, open_findings.pop(domain_name), rules.NO_LONGER_APPROVED, now)
            cleared += 1
        uow.shell_sites.forget_probes(provider, domains)
        last = uow.shell_sites.probes(provider)
        for domain_name, (addresses, answered) in sorted(results.get(provider, {}).items()):
            outcome = rules.judge(addresses, ranges[provider], answered)
            probe = rules.probed(last.get(domain_name), provider, domain_name, outcome, addresses, now)
            uow.shell_sites.put_probe(probe)
            due = rules.probe_due(probe, domain_name in open_findings, failing_days, now)
            if due == "raise":
                _found(uow, ShellSite(str(uuid.uuid4()), provider, domain_name, None, now,
                                      rules.rectify_by(now, window_days), reason=outcome,
                                      addresses=probe.addresses), probe.failing_since)
                found += 1
            elif due == "clear":
                _cleared(uow, open_findings[domain_name], rules.RESOLVES_AGAIN, now)
                cleared += 1
    return {"found": found, "cleared": cleared}


def shell_site_report(uow: AuditUnitOfWork, provider_id: str) -> dict:
    """X5: the provider's shell-site findings, open first, each with why, what the probe resolved it to and its
    rectification window."""
    findings = uow.shell_sites.findings(provider_id, open_only=False)
    rows = [{"finding_id": f.id, "domain": f.domain, "reason": f.reason, "addresses": f.addresses or [],
             "found_at": f.found_at.isoformat(), "rectify_by": f.rectify_by.isoformat(),
             "inventory_import_id": f.import_id, "cleared_at": f.cleared_at.isoformat() if f.cleared_at else None,
             "cleared_reason": f.cleared_reason} for f in findings]
    rows.sort(key=lambda r: (r["cleared_at"] is not None, r["found_at"], r["domain"]))
    return {"provider_id": provider_id, "open": sum(r["cleared_at"] is None for r in rows), "findings": rows}
