"""Providers' hosted-site inventories and the quarterly report on the stock's accuracy and the filing rate (P10,
C2)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

from audit import domain, models
from audit.domain import Rules
from audit.repository import AuditUnitOfWork
from audit.usecases.periods import quarter_end
from shared.contracts.errors import BadRequest
from shared.kernel.errors import InvalidValue
from shared.kernel.network import validate_domain

PROVIDER_ID_LENGTH = models.HostedSite.provider_id.type.length


def import_inventory(uow: AuditUnitOfWork, provider_id: str, csv_text: str, *, now: datetime) -> dict:
    """P10: replace a provider's hosted-site inventory with a CSV that has a ``domain`` column (other columns are
    ignored). Every bad row is reported at once as ``{field: "row N.domain", ...}`` and nothing is stored."""
    if not 0 < len(provider_id) <= PROVIDER_ID_LENGTH:
        raise BadRequest.about("provider_id", "length", f"A provider id has 1 to {PROVIDER_ID_LENGTH} characters.",
                               "P10")
    reader = csv.DictReader(io.StringIO(csv_text, newline=""))
    try:
        fieldnames, rows = reader.fieldnames or [], list(reader)
    except csv.Error as exc:
        # A broken quote or an oversized field: say which rule broke, never echo the text.
        raise BadRequest.about("body", "csv", f"The inventory is not well-formed CSV: {exc}.", "P10") from None
    if "domain" not in [name.strip().lower() for name in fieldnames]:
        raise BadRequest.about("domain", "missing_column", "The inventory CSV needs a domain column.", "P10")
    column = next(name for name in fieldnames if name.strip().lower() == "domain")
    domains, errors = set(), []
    for number, row in enumerate(rows, start=2):
        value = (row.get(column) or "").strip()
        try:
            domains.add(validate_domain(value).ascii.lower())
        except InvalidValue as exc:
            errors.append({"field": f"row {number}.domain", "code": exc.code, "message": exc.message,
                           "rule": exc.rule})
    if errors:
        raise BadRequest("the inventory has invalid rows", errors)
    import_id = str(uuid.uuid4())
    uow.inventories.replace(provider_id, sorted(domains), import_id, now)
    return {"provider_id": provider_id, "import_id": import_id, "sites": len(domains)}


def quarterly_report(uow: AuditUnitOfWork, quarter: str, *, rules: Rules) -> dict:
    """P10, C2: accuracy of the stock at the quarter's end per province, per provider and per province x provider
    (``cells``, for the filing center's table and chart, issue 20; the latest batch check run's findings, or the
    checks on arrival before any run), and each provider's filing rate against its hosted-site inventory."""
    end = quarter_end(quarter)
    run = uow.reports.latest_run()
    flagged_by = uow.reports.flagged(run[0] if run else None, end)
    provinces: dict[str, list[int]] = {}
    providers: dict[str, list[int]] = {}
    cells: dict[tuple[str, str], list[int]] = {}
    for province, provider, filings in uow.reports.stock_before(end):
        flagged = flagged_by.get((province, provider), 0)
        for table, key in ((provinces, province), (providers, provider), (cells, (province, provider))):
            totals = table.setdefault(key, [0, 0])
            totals[0] += filings
            totals[1] += flagged
    rates = {provider: {"hosted": hosted, "filed": filed, "rate": domain.ratio(filed, hosted)}
             for provider, hosted, filed in uow.reports.filing_rates(end)}

    def row(totals: list[int]) -> dict:
        return {"filings": totals[0], "flagged": totals[1], "accuracy": domain.ratio(totals[0] - totals[1], totals[0])}

    return {
        "quarter": quarter, "rules_version": run[1] if run else rules.version, "run_id": run[0] if run else None,
        "provinces": [{"province": key, **row(value)} for key, value in sorted(provinces.items())],
        "providers": [{"provider_id": key, **row(providers.get(key, [0, 0])), "filing_rate": rates.get(key)}
                      for key in sorted(set(providers) | set(rates))],
        "cells": [{"province": province, "provider_id": provider, **row(value)}
                  for (province, provider), value in sorted(cells.items())],
    }
