"""Statistics by category and the monthly bulletin (C4), as JSON, CSV and a rendered chart (PNG), and the
penalty summary.

Counts come from the stock (approved filings), the trail (returned filings: ``filing_returned.v1`` entries), the
hosted-site inventories (filing rate) and the penalties the trail followed; nothing here reads personal data.
"""

from __future__ import annotations

import csv
import io

from werkzeug.wrappers import Response

from audit import domain
from audit.domain import Rules
from audit.repository import AuditUnitOfWork
from audit.usecases.periods import month_range
from shared.contracts.bureau import FILING_RETURNED
from shared.i18n import CJK_FONT_FILE, DEFAULT_LOCALE, enum_name, message

CATEGORIES = ("sponsor_kind", "unit_type", "province", "provider_id")


def statistics(uow: AuditUnitOfWork, month: str, *, rules: Rules) -> dict:
    """C4: the month's approved filings (by approval time, Asia/Shanghai) counted by sponsor kind, unit type,
    province and provider, and the bureaus' decisions of the month: approved (the stock) and returned (the trail's
    ``filing_returned.v1`` entries by their ``returned_at``)."""
    start, end = month_range(month)
    counts = {category: {str(key if key is not None else "none"): n
                         for key, n in uow.reports.approved_by(category, start, end)} for category in CATEGORIES}
    returned = uow.reports.returned_between(FILING_RETURNED, start, end)
    counts["decision"] = {"approved": sum(counts["province"].values()), "returned": returned}
    return {"month": month, "rules_version": rules.version, "counts": counts}


def statistics_csv(stats: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "category", "value", "count"])
    for category, values in stats["counts"].items():
        for value, count in values.items():
            writer.writerow([stats["month"], category, value, count])
    return out.getvalue()


def statistics_figure(stats: dict, locale: str = DEFAULT_LOCALE):
    """A bar chart per category (matplotlib, Agg backend: no display needed), every title and bar named in
    ``locale`` from the message catalogue (issue 19: no English codes on the chart; a provider id is a name), in
    the CJK font of the ``fonts-wqy-zenhei`` package. The caller closes the figure."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    pyplot.rcParams["font.sans-serif"] = [font_manager.FontProperties(fname=str(CJK_FONT_FILE)).get_name(),
                                          "DejaVu Sans"]
    categories = list(stats["counts"])
    figure, axes = pyplot.subplots(len(categories), 1, figsize=(8, 2.4 * len(categories)))
    for axis, category in zip(axes, categories, strict=True):
        values = stats["counts"][category]
        names = list(values) if category == "provider_id" else [enum_name(category, v, locale) for v in values]
        axis.bar(names, list(values.values()))
        axis.set_title(message("statistics.title", locale, category=enum_name("statistics", category, locale),
                               month=stats["month"]))
    figure.tight_layout()
    return figure


def statistics_png(stats: dict, locale: str = DEFAULT_LOCALE) -> bytes:
    """:func:`statistics_figure` as a PNG."""
    from matplotlib import pyplot

    figure = statistics_figure(stats, locale)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def statistics_response(uow: AuditUnitOfWork, month: str, fmt: str, *, rules: Rules,
                        locale: str = DEFAULT_LOCALE) -> dict | Response:
    """The statistics in ``fmt`` (``json``, ``csv`` or ``png``, as the route's query schema allows); the chart
    is read in ``locale``, the JSON and CSV keep the codes (for machines)."""
    stats = statistics(uow, month, rules=rules)
    if fmt == "csv":
        return Response(statistics_csv(stats), 200, mimetype="text/csv")
    if fmt == "png":
        return Response(statistics_png(stats, locale), 200, mimetype="image/png")
    return stats


def bulletin(uow: AuditUnitOfWork, month: str, *, rules: Rules) -> dict:
    """C4: the monthly bulletin as provincial bureaus publish it, per province: filed subjects (filing numbers) and
    sites in the stock at the month's end, the month's approvals, the month's approved and returned decisions, and
    the filing rate of the providers' hosted-site inventories."""
    _start, end = month_range(month)
    stats = statistics(uow, month, rules=rules)
    rates = uow.reports.filing_rates(end)
    hosted, filed = sum(r[1] for r in rates), sum(r[2] for r in rates)
    return {
        "month": month, "rules_version": rules.version,
        "approved": stats["counts"]["decision"]["approved"], "returned": stats["counts"]["decision"]["returned"],
        "provinces": [{"province": p, "filed_subjects": subjects, "filed_sites": sites,
                       "approved_this_month": stats["counts"]["province"].get(p, 0)}
                      for p, subjects, sites in uow.reports.filed_by_province(end)],
        "filing_rate": {"hosted": hosted, "filed": filed, "rate": domain.ratio(filed, hosted)},
    }


def penalty_summary(uow: AuditUnitOfWork) -> dict:
    """C4: the bureaus' penalties by province and kind: issued, closed, overdue, open."""
    return {"penalties": [{"province": p, "kind": k, "issued": n, "closed": c, "overdue": o, "open": n - c}
                          for p, k, n, c, o in uow.reports.penalties()]}
