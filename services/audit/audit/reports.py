"""Statistics by category and the monthly bulletin (C4), as JSON, CSV and a rendered chart (PNG).

Counts come from the stock (approved filings), the trail (returned filings: ``filing_returned.v1`` entries) and
the hosted-site inventories (filing rate); nothing here reads personal data.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from werkzeug.wrappers import Response

from audit import usecases
from audit.models import HostedSite, StockFiling, TrailEntryRecord
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import BadRequest
from shared.platform.http import json_response

CATEGORIES = ("sponsor_kind", "unit_type", "province", "provider_id")


def statistics(deps: usecases.Deps, month: str) -> dict:
    """C4: the month's approved filings counted by sponsor kind, unit type, province and provider, and the
    bureaus' decisions (approved, returned) of the month."""
    start, end = usecases._month_range(month)
    in_month = (StockFiling.approved_at >= start) & (StockFiling.approved_at < end)
    counts = {}
    for category in CATEGORIES:
        column = getattr(StockFiling, category)
        rows = deps.session.execute(select(column, func.count()).where(in_month).group_by(column)
                                    .order_by(column)).all()
        counts[category] = {str(key if key is not None else "none"): n for key, n in rows}
    decisions = dict(deps.session.execute(
        select(TrailEntryRecord.event_type, func.count())
        .where(TrailEntryRecord.event_type.in_([FILING_APPROVED, FILING_RETURNED]),
               TrailEntryRecord.recorded_at >= start, TrailEntryRecord.recorded_at < end)
        .group_by(TrailEntryRecord.event_type)).all())
    counts["decision"] = {"approved": decisions.get(FILING_APPROVED, 0), "returned": decisions.get(FILING_RETURNED, 0)}
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


def statistics_response(deps: usecases.Deps, month: str, fmt: str) -> Response:
    stats = statistics(deps, month)
    if fmt == "json":
        return json_response(200, stats)
    if fmt == "csv":
        return Response(statistics_csv(stats), 200, mimetype="text/csv")
    if fmt == "png":
        return Response(statistics_png(stats), 200, mimetype="image/png")
    raise BadRequest.about("format", "one_of", "One of json, csv, png.", "C4")


def bulletin(deps: usecases.Deps, month: str) -> dict:
    """C4: the monthly bulletin as provincial bureaus publish it, per province: filed subjects (sponsors) and
    sites, approved and returned decisions of the month, and the stock's filing rate against the providers'
    hosted-site inventories."""
    start, end = usecases._month_range(month)
    stats = statistics(deps, month)
    stock = deps.session.execute(select(StockFiling.province, StockFiling.provider_id, StockFiling.filing_number,
                                        StockFiling.sites).where(StockFiling.approved_at < end)).all()
    hosted: dict[str, set[str]] = {}
    for provider, site in deps.session.execute(select(HostedSite.provider_id, HostedSite.domain)):
        hosted.setdefault(provider, set()).add(site)
    provinces: dict[str, dict] = {}
    filed_by_provider: dict[str, set[str]] = {}
    for province, provider, number, sites in stock:
        entry = provinces.setdefault(province, {"subjects": set(), "sites": 0})
        entry["subjects"].add(number)
        entry["sites"] += len(sites)
        filed_by_provider.setdefault(provider, set()).update(sites)
    hosted_all = set().union(*hosted.values()) if hosted else set()
    filed_hosted = sum(len(sites & filed_by_provider.get(p, set())) for p, sites in hosted.items())
    return {
        "month": month,
        "approved": stats["counts"]["decision"]["approved"],
        "returned": stats["counts"]["decision"]["returned"],
        "provinces": [{"province": p, "filed_subjects": len(v["subjects"]), "filed_sites": v["sites"],
                       "approved_this_month": stats["counts"]["province"].get(p, 0)}
                      for p, v in sorted(provinces.items())],
        "filing_rate": {"hosted": len(hosted_all), "filed": filed_hosted,
                        "rate": round(filed_hosted / len(hosted_all), 4) if hosted_all else None},
    }
