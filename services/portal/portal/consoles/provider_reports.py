"""The access provider's stewardship reports (issue 20; W5, W6, X6), as the signed-in supervisor over intake's
API: the revisits of approved sponsors and the re-verification of the stock.

- Revisits (W5): how many are in each state, when the next one is due, and the escalated and open ones, soonest
  answer time first, for staff to follow up (every time in Beijing time).
- The stock (W6): re-verification against the plan, in total and per import (done, pending, overdue, by the
  import's deadline), with a chart of each import's share done; a supervisor imports a CSV of stock filings with
  the day they are to be verified by, and reads the import's report (every rejected row with its line, field and
  rule).
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from portal.consoles.access import staff_only
from portal.consoles.center import BAR_WIDTH, PERCENT_TICKS, ratio_bar
from portal.pages import Page, _checked, _page, _posted
from shared.i18n import beijing

STOCK_UPLOAD = 9 * 1024 * 1024  # intake's 8 MiB stock import and the multipart framing around it
REVISIT_STATES = ("scheduled", "open", "escalated", "confirmed", "updated", "closed")


def import_bars(imports: list[dict]) -> list:
    """W6: one bar per import, its share re-verified (done of planned), labelled by its deadline's day in
    Beijing."""
    return [ratio_bar(beijing(i["deadline"])[:10], i["done"] / i["planned"] if i["planned"] else None,
                      f"{i['done']}/{i['planned']}") for i in imports]


class ProviderReports:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("stewardship")
    def revisits(self, page: Page) -> Response:
        answer = _checked(page.api("intake").get("/revisits"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/revisits.html", report=answer.body, states=REVISIT_STATES)

    @_page
    @staff_only("stewardship")
    def stock(self, page: Page) -> Response:
        return self._stock(page)

    def _stock(self, page: Page, status: int = 200, errors: list | None = None) -> Response:
        answer = _checked(page.api("intake").get("/stock/progress"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        progress = answer.body
        return page.render("staff/stock.html", status=status, errors=errors or [], progress=progress,
                           bars=import_bars(progress["imports"]), ticks=PERCENT_TICKS, bar_width=BAR_WIDTH)

    @_posted
    @staff_only("stewardship")
    def import_stock(self, page: Page) -> Response:
        """W6: the CSV as it came, to intake with the deadline asked (intake's own period without one)."""
        form, upload = page.form(), page.request.files.get("stock")
        if upload is None or not upload.filename:
            return self._stock(page, 422, [{"field": "stock", "code": "no_file", "message": "", "rule": "W6"}])
        deadline = form.get("deadline", "").strip()
        answer = _checked(page.api("intake").post("/stock/imports", data=upload.read(), key=form.get("key"),
                                                  params={"deadline": deadline} if deadline else {},
                                                  headers={"Content-Type": "text/csv"}))
        if not answer.ok:
            return self._stock(page, answer.status, answer.errors)
        return page.redirect(f"/staff/stock/imports/{answer.body['import_id']}")

    @_page
    @staff_only("stewardship")
    def stock_import(self, page: Page, import_id: str) -> Response:
        answer = _checked(page.api("intake").get(f"/stock/imports/{import_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/stock_import.html", report=answer.body)
