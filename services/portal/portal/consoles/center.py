"""The filing center's console (issue 20; P9, P10, C1–C4, X5, X6), as the signed-in auditor over audit's API.

- The quarter's accuracy of the stock per province x provider and each provider's filing rate (P10, C2), as a
  table and as charts.
- The month's bulletin (C4): filed subjects and sites per province, the bureaus' decisions, the filing rate; the
  statistics by category as charts; the bureaus' penalties and their rectification (A1, C4).
- The trail's verification (P9): the hash chain walked from its first entry, intact or where it first breaks.
- Findings: each provider's shell sites (X5), with the check run on demand, and the month's automatic ID-check
  (P9) and phone-check (C1) failures per provider.
- The month's sample (C1): drawn by audit under the rules in force (C3) from a seed, random unless the auditor
  gives one (a seed drawn in public, say); the same month and seed open the sample drawn already, so a sample is
  found again by its month and seed, as well as by its address. Beside the form, the month's report per provider:
  new filings, automatic ID-check failures (P9) and phone checks with their accuracy (C1; each provider's quality,
  C2). A sample lists each sampled filing with its phone check, recorded with one of the results the rules
  publish; a result recorded is shown, not offered again (audit refuses another one).

Every chart is SVG drawn here from the service's numbers (no script: the page's CSP allows none) and says what it
shows in the person's language (titles, axes, values), provinces in the official order (京 津 冀 …).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Response

from portal.consoles.access import staff_only
from portal.pages import Page, _checked, _page, _posted
from shared.i18n import BEIJING, enum_name
from shared.kernel.provinces import PROVINCES

QUARTER = re.compile(r"^[0-9]{4}Q[1-4]$")
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
ORDER = {p.abbr: index for index, p in enumerate(PROVINCES)}  # the official order: 京 津 冀 晋 蒙 …
NAMES = {p.abbr: p.name for p in PROVINCES}
BAR_WIDTH = 480  # pixels of a full bar
PERCENT_TICKS = tuple((BAR_WIDTH * tick // 100, f"{tick}%") for tick in (0, 25, 50, 75, 100))
STEPS = sorted(int(m * 10 ** n) for n in range(13) for m in (1, 2, 2.5, 5) if float(m * 10 ** n).is_integer())
STATISTICS = ("province", "provider_id", "sponsor_kind", "unit_type", "decision")  # audit's categories (C4)


def province_order(abbr: str) -> int:
    """Where the province ``abbr`` stands in the official order; an unknown one after all the others."""
    return ORDER.get(abbr, len(ORDER))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # the bar's length as a share of the axis, 0..1; None: nothing to measure
    text: str  # what the bar says beside it

    @property
    def width(self) -> int:
        return round((self.value or 0) * BAR_WIDTH)


def ratio_bar(label: str, value: float | None, note: str = "") -> Bar:
    """A bar of a ratio (accuracy, filing rate): ``75.0%（3/4）``, or ``—`` with nothing to measure."""
    shown = "—" if value is None else f"{value * 100:.1f}%"
    return Bar(label, value, f"{shown}（{note}）" if note and value is not None else shown)


def count_axis(largest: int) -> tuple[int, tuple[tuple[int, str], ...]]:
    """The axis of a count chart: its top, four equal steps of 1, 2, 2.5 or 5 × 10ⁿ (whole numbers) reaching
    ``largest``, and its ticks as (pixels, label)."""
    step = next(s for s in STEPS if s * 4 >= largest)
    return step * 4, tuple((BAR_WIDTH * i // 4, str(step * i)) for i in range(5))


def by_province(values: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(values.items(), key=lambda item: (province_order(item[0]), item[0]))


def current_quarter(now: datetime) -> str:
    beijing = now.astimezone(BEIJING)
    return f"{beijing.year}Q{(beijing.month - 1) // 3 + 1}"


def current_month(now: datetime) -> str:
    return f"{now.astimezone(BEIJING):%Y-%m}"


def shaped(report: dict) -> dict:
    """The quarterly report as the page shows it: provinces in the official order, providers by id, the table's
    cells by (province, provider), and the bars of both charts."""
    cells = sorted(report.get("cells", []), key=lambda c: (province_order(c["province"]), c["provider_id"]))
    provinces = list(dict.fromkeys(c["province"] for c in cells))
    providers = [p["provider_id"] for p in report.get("providers", [])]
    rates = {p["provider_id"]: p.get("filing_rate") for p in report.get("providers", [])}
    accuracy = [ratio_bar(f"{c['province']} · {c['provider_id']}", c["accuracy"] if c["filings"] else None,
                          f"{c['filings'] - c['flagged']}/{c['filings']}") for c in cells]
    filing_rate = [ratio_bar(p, (rates[p] or {}).get("rate"),
                             f"{rates[p]['filed']}/{rates[p]['hosted']}" if rates[p] else "") for p in providers]
    return {"provinces": provinces, "providers": providers, "names": NAMES, "rates": rates,
            "table": {(c["province"], c["provider_id"]): c for c in cells}, "accuracy": accuracy,
            "filing_rate": filing_rate, "ticks": PERCENT_TICKS}


def statistics_charts(stats: dict, locale: str) -> list[dict]:
    """C4: one chart per category of the month's statistics (a bar per value, named in ``locale``, provinces in
    the official order, a provider by its id), each with its count axis."""
    charts = []
    for category in STATISTICS:
        values = stats.get("counts", {}).get(category)
        if values is None:
            continue
        pairs = by_province(values) if category == "province" else sorted(values.items())
        top, ticks = count_axis(max(values.values(), default=0))
        bars = [Bar(value if category == "provider_id" else enum_name(category, value, locale), count / top,
                    str(count)) for value, count in pairs]
        charts.append({"id": f"statistics-{category.replace('_', '-')}", "category": category, "ticks": ticks,
                       "bars": bars})
    return charts


def asked_month(page: Page) -> str:
    """The month the page is asked for (``?month=``), Beijing's current month by default."""
    return page.request.args.get("month") or current_month(datetime.now(BEIJING))


def month_refused(page: Page, rule: str) -> Response:
    """The 400 page for a malformed month, naming the field and the rule of the page."""
    return page.error(400, [{"field": "month", "code": "month_format", "message": "", "rule": rule}])


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

    @_page
    @staff_only("center")
    def bulletin(self, page: Page) -> Response:
        """C4: the month's bulletin by province, the statistics by category as charts, the penalty summary."""
        month = asked_month(page)
        if not MONTH.match(month):
            return month_refused(page, "C4")
        audit = page.api("audit")
        bulletin = _checked(audit.get(f"/bulletin/{month}"))
        stats = _checked(audit.get(f"/statistics/{month}"))
        penalties = _checked(audit.get("/penalties/summary"))
        failed = next((a for a in (bulletin, stats, penalties) if not a.ok), None)
        if failed is not None:
            return page.error(failed.status, failed.errors)
        rows = sorted(bulletin.body["provinces"], key=lambda r: (province_order(r["province"]), r["province"]))
        summary = sorted(penalties.body["penalties"],
                         key=lambda r: (province_order(r["province"]), r["province"], r["kind"]))
        return page.render("staff/bulletin.html", month=month, bulletin=bulletin.body, provinces=rows,
                           names=NAMES, charts=statistics_charts(stats.body, page.locale), penalties=summary,
                           bar_width=BAR_WIDTH)

    @_page
    @staff_only("center")
    def trail(self, page: Page) -> Response:
        """P9: the trail's hash chain verified now, from its first entry."""
        answer = _checked(page.api("audit").get("/trail/verification"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/trail.html", result=answer.body, verified_at=datetime.now(BEIJING))

    @_page
    @staff_only("center")
    def findings(self, page: Page) -> Response:
        """X5, P9, C1: the month's failures per provider, and the shell sites of the provider chosen."""
        month, provider = asked_month(page), page.request.args.get("provider", "").strip()
        if not MONTH.match(month):
            return month_refused(page, "X5")
        audit = page.api("audit")
        monthly = _checked(audit.get(f"/reports/monthly/{month}"))
        if not monthly.ok:
            return page.error(monthly.status, monthly.errors)
        quarterly = _checked(audit.get(f"/reports/quarterly/{month[:4]}Q{(int(month[5:]) - 1) // 3 + 1}"))
        known = {p["provider_id"] for p in monthly.body["providers"]}
        known |= {p["provider_id"] for p in (quarterly.body.get("providers", []) if quarterly.ok else [])}
        shells = None
        if provider:
            answer = _checked(audit.get(f"/providers/{quote(provider, safe='')}/shell-sites"))
            if not answer.ok:
                return page.error(answer.status, answer.errors)
            shells = answer.body
        checked = {k: page.request.args[k] for k in ("found", "cleared") if page.request.args.get(k, "").isdigit()}
        return page.render("staff/findings.html", month=month, provider=provider, providers=sorted(known),
                           monthly=monthly.body["providers"], shells=shells, checked=checked)

    @_posted
    @staff_only("center")
    def shell_site_check(self, page: Page) -> Response:
        """X5: run the shell-site check now (after an inventory came in), then show what it found, on the findings
        page as it was (the provider and month shown)."""
        form = page.form()
        answer = _checked(page.api("audit").post("/shell-sites/checks", key=form.get("key")))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        shown = {k: form[k].strip() for k in ("month", "provider") if form.get(k, "").strip()}
        query = {**shown, "found": answer.body["found"], "cleared": answer.body["cleared"]}
        return page.redirect(f"/staff/findings?{urlencode(query)}")

    # --- C1: the monthly samples and their phone checks -------------------------------------------------------

    @_page
    @staff_only("center")
    def samples(self, page: Page) -> Response:
        month = asked_month(page)
        return self._samples(page, month) if MONTH.match(month) else month_refused(page, "C1")

    def _samples(self, page: Page, month: str, status: int = 200, errors: list | None = None,
                 seed: str = "") -> Response:
        report = _checked(page.api("audit").get(f"/reports/monthly/{month}"))
        if not report.ok:
            return page.error(report.status, report.errors)
        return page.render("staff/samples.html", status=status, errors=errors or [], month=month, seed=seed,
                           report=report.body)

    @_posted
    @staff_only("center")
    def draw_sample(self, page: Page) -> Response:
        """C1: draw the month's sample (or open the one drawn with this month and seed) and show it."""
        form = page.form()
        month, seed = form.get("month", "").strip(), form.get("seed", "").strip()
        body = {"month": month, **({"seed": seed} if seed else {})}
        answer = _checked(page.api("audit").post("/samples", json=body, key=form.get("key")))
        if not answer.ok:
            shown = month if MONTH.match(month) else current_month(datetime.now(BEIJING))
            return self._samples(page, shown, answer.status, answer.errors, seed)
        return page.redirect(f"/staff/samples/{answer.body['sample_id']}")

    @_page
    @staff_only("center")
    def sample(self, page: Page, sample_id: str) -> Response:
        return self._sample(page, sample_id)

    def _sample(self, page: Page, sample_id: str, status: int = 200, errors: list | None = None) -> Response:
        audit = page.api("audit")
        answer = _checked(audit.get(f"/samples/{sample_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        rules = _checked(audit.get("/rules"))
        if not rules.ok:
            return page.error(rules.status, rules.errors)
        sample = answer.body
        items = sorted(sample["items"], key=lambda i: (province_order(i["province"]), i["provider_id"],
                                                       i["filing_number"]))
        return page.render("staff/sample.html", status=status, errors=errors or [], sample=sample, items=items,
                           results=rules.body["phone_results"], checked=sum(bool(i["phone_result"]) for i in items))

    @_posted
    @staff_only("center")
    def phone_check(self, page: Page, sample_id: str, item_id: int) -> Response:
        """C1: the result of the phone call to a sampled filing's sponsor; audit raises a finding for any result
        but ``confirmed``."""
        form = page.form()
        answer = _checked(page.api("audit").post(f"/samples/{sample_id}/items/{item_id}/phone-check",
                                                 json={"result": form.get("result", "")}, key=form.get("key")))
        if not answer.ok:
            return self._sample(page, sample_id, answer.status, answer.errors)
        return page.redirect(f"/staff/samples/{sample_id}#item-{item_id}")
