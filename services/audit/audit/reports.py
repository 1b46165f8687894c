"""Statistics by category and the monthly bulletin (C4), as JSON, CSV and a rendered chart (PNG).

Counts come from the stock (approved filings), the trail (returned filings: ``filing_returned.v1`` entries) and
the hosted-site inventories (filing rate); nothing here reads personal data.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import DateTime, cast, func, select, text
from werkzeug.wrappers import Response

from audit import domain, usecases
from audit.models import StockFiling, TrailEntryRecord
from shared.contracts.bureau import FILING_RETURNED

CATEGORIES = ("sponsor_kind", "unit_type", "province", "provider_id")


def statistics(deps: usecases.Deps, month: str) -> dict:
    """C4: the month's approved filings (by approval time, Asia/Shanghai) counted by sponsor kind, unit type,
    province and provider, and the bureaus' decisions of the month: approved (the stock) and returned (the trail's
    ``filing_returned.v1`` entries by their ``returned_at``)."""
    start, end = usecases._month_range(month)
    in_month = (StockFiling.approved_at >= start) & (StockFiling.approved_at < end)
    counts = {}
    for category in CATEGORIES:
        column = getattr(StockFiling, category)
        rows = deps.session.execute(select(column, func.count()).where(in_month).group_by(column)
                                    .order_by(column)).all()
        counts[category] = {str(key if key is not None else "none"): n for key, n in rows}
    returned_at = cast(TrailEntryRecord.body["returned_at"].as_string(), DateTime(timezone=True))
    returned = deps.session.execute(select(func.count()).where(
        TrailEntryRecord.event_type == FILING_RETURNED, returned_at >= start, returned_at < end)).scalar_one()
    counts["decision"] = {"approved": sum(counts["province"].values()), "returned": returned}
    return {"month": month, "rules_version": deps.rules.version, "counts": counts}


def statistics_csv(stats: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "category", "value", "count"])
    for category, values in stats["counts"].items():
        for value, count in values.items():
            writer.writerow([stats["month"], category, value, count])
    return out.getvalue()


def statistics_png(stats: dict) -> bytes:
    """A bar chart per category (matplotlib, Agg backend: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    cjk = [f.name for f in font_manager.fontManager.ttflist if "WenQuanYi" in f.name or "Noto Sans CJK" in f.name]
    if cjk:
        pyplot.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
    categories = list(stats["counts"])
    figure, axes = pyplot.subplots(len(categories), 1, figsize=(8, 2.4 * len(categories)))
    for axis, category in zip(axes, categories, strict=True):
        values = stats["counts"][category]
        axis.bar(list(values), list(values.values()))
        axis.set_title(f"{category} ({stats['month']})")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def statistics_response(deps: usecases.Deps, month: str, fmt: str) -> dict | Response:
    """The statistics in ``fmt`` (``json``, ``csv`` or ``png``, as the route's query schema allows)."""
    stats = statistics(deps, month)
    if fmt == "csv":
        return Response(statistics_csv(stats), 200, mimetype="text/csv")
    if fmt == "png":
        return Response(statistics_png(stats), 200, mimetype="image/png")
    return stats


def bulletin(deps: usecases.Deps, month: str) -> dict:
    """C4: the monthly bulletin as provincial bureaus publish it, per province: filed subjects (filing numbers) and
    sites in the stock at the month's end, the month's approvals, the month's approved and returned decisions, and
    the filing rate of the providers' hosted-site inventories."""
    _start, end = usecases._month_range(month)
    stats = statistics(deps, month)
    rows = deps.session.execute(
        select(StockFiling.province, func.count(func.distinct(StockFiling.filing_number)),
               func.sum(func.json_array_length(StockFiling.sites)))
        .where(StockFiling.approved_at < end).group_by(StockFiling.province).order_by(StockFiling.province)).all()
    rates = deps.session.execute(text(usecases.FILING_RATE_SQL), {"end": end}).all()
    hosted, filed = sum(r.hosted for r in rates), sum(r.filed for r in rates)
    return {
        "month": month, "rules_version": deps.rules.version,
        "approved": stats["counts"]["decision"]["approved"], "returned": stats["counts"]["decision"]["returned"],
        "provinces": [{"province": p, "filed_subjects": subjects, "filed_sites": int(sites or 0),
                       "approved_this_month": stats["counts"]["province"].get(p, 0)} for p, subjects, sites in rows],
        "filing_rate": {"hosted": hosted, "filed": filed, "rate": domain.ratio(filed, hosted)},
    }
