"""X5: shell-site (空壳) monitoring. The provider's approved sites are followed from intake's
``approved_sites_changed.v1``; a periodic check compares them with the provider's latest hosted-site inventory
(P10) and raises ``shell_site_found.v1`` for each approved site the provider no longer hosts (once per finding,
with its rectification window), and ``shell_site_cleared.v1`` when the site is hosted again or no longer approved.
A provider without an inventory is not judged: nothing says what it hosts."""

from __future__ import annotations

import uuid
from datetime import datetime

from audit import shell_sites
from audit.repository import AuditUnitOfWork
from audit.shell_sites import ShellSite
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND


def on_approved_sites_changed(uow: AuditUnitOfWork, data: dict) -> None:
    """Apply a revision of the provider's approved-sites list to the domains it names, unless a later revision
    touched them already (events may arrive out of order)."""
    provider, revision = data["provider_id"], data["revision"]
    changes = {**{d.lower(): True for d in data["added"]}, **{d.lower(): False for d in data["removed"]}}
    stored = uow.shell_sites.revisions(provider, changes)
    for domain_name, present in changes.items():
        if shell_sites.applies(stored.get(domain_name), revision):
            uow.shell_sites.put(provider, domain_name, revision, present, data["changed_at"])


def check_shell_sites(uow: AuditUnitOfWork, *, window_days: int, now: datetime) -> dict:
    """X5: one round of the check over every provider with approved sites or open findings; ``{found, cleared}``
    counts. A round that finds nothing new raises nothing."""
    found_total = cleared_total = 0
    for provider in uow.shell_sites.providers():
        inventory = uow.inventories.hosted(provider)
        if inventory is None:
            continue
        hosted, import_id = inventory
        open_findings = {f.domain: f for f in uow.shell_sites.findings(provider)}
        found, cleared = shell_sites.changes(uow.shell_sites.approved(provider), hosted, set(open_findings))
        for domain_name in found:
            finding = ShellSite(str(uuid.uuid4()), provider, domain_name, import_id, now,
                                shell_sites.rectify_by(now, window_days))
            uow.shell_sites.add(finding)
            uow.emit(SHELL_SITE_FOUND, {"finding_id": finding.id, "provider_id": provider, "domain": domain_name,
                                        "found_at": now.isoformat(), "rectify_by": finding.rectify_by.isoformat(),
                                        "inventory_import_id": import_id}, finding.id)
        for domain_name, reason in cleared.items():
            finding = open_findings[domain_name]
            finding.cleared_at, finding.cleared_reason = now, reason
            uow.shell_sites.save(finding)
            uow.emit(SHELL_SITE_CLEARED, {"finding_id": finding.id, "provider_id": provider, "domain": domain_name,
                                          "found_at": finding.found_at.isoformat(), "cleared_at": now.isoformat(),
                                          "reason": reason}, finding.id)
        found_total, cleared_total = found_total + len(found), cleared_total + len(cleared)
    return {"found": found_total, "cleared": cleared_total}


def shell_site_report(uow: AuditUnitOfWork, provider_id: str) -> dict:
    """X5: the provider's shell-site findings, open first, each with its rectification window."""
    findings = uow.shell_sites.findings(provider_id, open_only=False)
    rows = [{"finding_id": f.id, "domain": f.domain, "found_at": f.found_at.isoformat(),
             "rectify_by": f.rectify_by.isoformat(), "inventory_import_id": f.import_id,
             "cleared_at": f.cleared_at.isoformat() if f.cleared_at else None, "cleared_reason": f.cleared_reason}
            for f in findings]
    rows.sort(key=lambda r: (r["cleared_at"] is not None, r["found_at"], r["domain"]))
    return {"provider_id": provider_id, "open": sum(r["cleared_at"] is None for r in rows), "findings": rows}
