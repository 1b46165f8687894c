"""The filing center's console (issue 20; C2, P10, X6): the quarter's accuracy of the stock per province x provider
and each provider's filing rate, as a table and as charts that say what they show in Chinese (titles, axes,
values), provinces in the official order (京 津 冀 …), from audit's quarterly report as the signed-in auditor.

The charts are SVG drawn here from the report's numbers (no script: the page's CSP allows none), one bar per
province x provider and one per provider's filing rate, each bar labelled with its value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from werkzeug.wrappers import Response

from portal.consoles.access import staff_only
from portal.pages import Page, _checked, _page
from shared.i18n import BEIJING
from shared.kernel.provinces import PROVINCES

QUARTER = re.compile(r"^[0-9]{4}Q[1-4]$")
ORDER = {p.abbr: index for index, p in enumerate(PROVINCES)}  # the official order: 京 津 冀 晋 蒙 …
NAMES = {p.abbr: p.name for p in PROVINCES}
BAR_WIDTH = 480  # pixels of a 100 % bar


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # a ratio 0..1; None: nothing to measure (no filings, no inventory)
    note: str = ""

    @property
    def width(self) -> int:
        return round((self.value or 0) * BAR_WIDTH)

    @property
    def percent(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


def current_quarter(now: datetime) -> str:
    beijing = now.astimezone(BEIJING)
    return f"{beijing.year}Q{(beijing.month - 1) // 3 + 1}"


def shaped(report: dict) -> dict:
    """The report as the page shows it: provinces in the official order, providers by id, the table's cells by
    (province, provider), and the bars of both charts."""
    cells = sorted(report.get("cells", []), key=lambda c: (ORDER.get(c["province"], len(ORDER)), c["provider_id"]))
    provinces = list(dict.fromkeys(c["province"] for c in cells))
    providers = [p["provider_id"] for p in report.get("providers", [])]
    rates = {p["provider_id"]: p.get("filing_rate") for p in report.get("providers", [])}
    accuracy = [Bar(f"{c['province']} · {c['provider_id']}", c["accuracy"] if c["filings"] else None,
                    f"{c['filings'] - c['flagged']}/{c['filings']}") for c in cells]
    filing_rate = [Bar(p, (rates[p] or {}).get("rate"),
                       f"{rates[p]['filed']}/{rates[p]['hosted']}" if rates[p] else "") for p in providers]
    return {"provinces": provinces, "providers": providers, "names": NAMES, "rates": rates,
            "table": {(c["province"], c["provider_id"]): c for c in cells}, "accuracy": accuracy,
            "filing_rate": filing_rate}


class CenterConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("center")
    def quarterly(self, page: Page) -> Response:
        quarter = page.request.args.get("quarter") or current_quarter(datetime.now(BEIJING))
        if not QUARTER.match(quarter):
            errors = [{"field": "quarter", "code": "quarter_format", "message": "", "rule": "C2"}]
            return page.error(400, errors)
        answer = _checked(page.api("audit").get(f"/reports/quarterly/{quarter}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        year, number = quarter.split("Q")
        return page.render("staff/quarterly.html", quarter=quarter, year=year, number=number, bar_width=BAR_WIDTH,
                           **shaped(answer.body))
