"""Findings of the filing center's checks (P9, C1): each raised once, to the bureau of its province and the
provider, as ``audit_finding_raised.v1``."""

from __future__ import annotations

import uuid
from datetime import datetime

from audit import domain
from audit.repository import AuditUnitOfWork
from shared.contracts.audit import AUDIT_FINDING_RAISED


def raise_finding(uow: AuditUnitOfWork, stock: domain.StockFiling, check: str, reasons: list[dict],
                  rules_version: str, now: datetime) -> bool:
    """One ``audit_finding_raised.v1`` per filing version, check and rules version (a repeat raises nothing)."""
    if uow.checks.finding_exists(stock.filing_id, stock.version, check, rules_version):
        return False
    finding = domain.Finding(id=str(uuid.uuid4()), filing_id=stock.filing_id, version=stock.version,
                             provider_id=stock.provider_id, province=stock.province, check=check,
                             rules_version=rules_version, reasons=reasons, raised_at=now)
    uow.checks.add_finding(finding)
    uow.emit(AUDIT_FINDING_RAISED, finding.event_data(stock.filing_number), stock.filing_id)
    return True
