"""The provincial bureau's oversight of access providers (issue 20; B2, A1), as the signed-in reviewer over the
bureau's API; part of the bureau's console (``staff_only("bureau")``).

- Inspections (B2): the inspections planned, newest first, each with its score once recorded; plan one of a
  provider, scheduled or at random, over a year's filings with a sample size (the bureau draws the sample
  reproducibly from the seed and shows it); one inspection with its sample, the findings by area (department,
  procedure, retained evidence) and severity recorded once, the score, and the provider's compliance score for the
  year with its rectification orders (what the licence review reads).
- Penalties (A1): every order with its kind, reason, rectification deadline (Beijing time) and state (open,
  overdue, closed), tracked to closure; issue one against a provider (and a filing), close one with a note.

Every rule (who may, the sample, the score, a deadline in the future) is the bureau's; the pages show its answers
and what it refused, field by field.
"""
from __future__ import annotations

from datetime import date, datetime, time

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.pages import Page, _checked, _page, _posted
from shared.i18n import BEIJING

AREAS = ("department", "procedure", "evidence")  # the bureau's B2 areas (bureau.domain.AREAS), as choices
SEVERITIES = ("minor", "major", "critical")
PENALTY_KINDS = ("warning", "rectification_order", "fine")
FINDING_ROWS = 3  # findings an inspection form offers at once


def end_of_day(day: str) -> str | None:
    """A date picked on the form (``YYYY-MM-DD``) as the end of that day in Beijing, what "rectify by" means; None
    for no date (the bureau names the missing field)."""
    try:
        return datetime.combine(date.fromisoformat(day.strip()), time(23, 59, 59), BEIJING).isoformat()
    except ValueError:
        return None


def findings_from(form: dict) -> list[dict]:
    """The inspection form's findings: each row with a note (area, severity, note, and the sampled filing if
    one was named)."""
    found = []
    for row in range(FINDING_ROWS):
        note = form.get(f"note-{row}", "").strip()
        if note:
            found.append({"area": form.get(f"area-{row}", ""), "severity": form.get(f"severity-{row}", ""),
                          "note": note, "filing_id": form.get(f"filing-{row}") or None})
    return found


def _given(form: dict, *names: str) -> dict:
    """The form's fields that were filled in (an empty one is left out: the bureau says what is required)."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


class OversightConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("bureau")
    def inspections(self, page: Page) -> Response:
        return self._inspections(page)

    def _inspections(self, page: Page, status: int = 200, errors: list | None = None,
                     form: dict | None = None) -> Response:
        provider = page.request.args.get("provider_id", "").strip()
        answer = _checked(page.api("bureau").get("/inspections", params={"provider_id": provider} if provider else {}))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/inspections.html", status=status, items=answer.body["items"], errors=errors or [],
                           form=form or {}, provider=provider, year=datetime.now(BEIJING).year)

    @_posted
    @staff_only("bureau")
    def plan_inspection(self, page: Page) -> Response:
        """B2: a scheduled or random inspection of a provider; on to it, its sample drawn."""
        form = page.form()
        body = _given(form, "provider_id", "kind", "year", "sample_size", "seed")
        answer = _checked(page.api("bureau").post("/inspections", json=body, key=form.get("key")))
        if not answer.ok:
            return self._inspections(page, answer.status, answer.errors, form)
        return page.redirect(f"/staff/inspections/{answer.body['inspection_id']}")

    @_page
    @staff_only("bureau")
    def inspection(self, page: Page, inspection_id: str) -> Response:
        return self._inspection(page, inspection_id)

    def _inspection(self, page: Page, inspection_id: str, status: int = 200, errors: list | None = None) -> Response:
        bureau = page.api("bureau")
        answer = _checked(bureau.get(f"/inspections/{inspection_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        inspection = answer.body
        compliance = _checked(bureau.get(f"/providers/{inspection['provider_id']}/compliance/{inspection['year']}"))
        return page.render("staff/inspection.html", status=status, inspection=inspection, errors=errors or [],
                           compliance=compliance.body if compliance.ok else None, areas=AREAS,
                           severities=SEVERITIES, rows=range(FINDING_ROWS))

    @_posted
    @staff_only("bureau")
    def record_inspection(self, page: Page, inspection_id: str) -> Response:
        """B2: the findings and the score, recorded once (no finding: a clean inspection, 100 points)."""
        form = page.form()
        answer = _checked(page.api("bureau").post(f"/inspections/{inspection_id}/findings", key=form.get("key"),
                                                  json={"findings": findings_from(form)}))
        return acted(page, answer, lambda *refused: self._inspection(page, inspection_id, *refused),
                     f"/staff/inspections/{inspection_id}")

    @_page
    @staff_only("bureau")
    def penalties(self, page: Page) -> Response:
        return self._penalties(page)

    def _penalties(self, page: Page, status: int = 200, errors: list | None = None,
                   form: dict | None = None) -> Response:
        provider = page.request.args.get("provider_id", "").strip()
        answer = _checked(page.api("bureau").get("/penalties", params={"provider_id": provider} if provider else {}))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        items = sorted(answer.body["items"], key=lambda p: p["issued_at"], reverse=True)  # the newest on top
        return page.render("staff/penalties.html", status=status, items=items, errors=errors or [],
                           form=form or {}, provider=provider, kinds=PENALTY_KINDS)

    @_posted
    @staff_only("bureau")
    def issue_penalty(self, page: Page) -> Response:
        """A1: a penalty with the order to correct by a date (the end of that day, Beijing time)."""
        form = page.form()
        body = _given(form, "provider_id", "filing_id", "kind", "reason")
        if rectify_by := end_of_day(form.get("rectify_by", "")):
            body["rectify_by"] = rectify_by
        answer = _checked(page.api("bureau").post("/penalties", json=body, key=form.get("key")))
        if not answer.ok:
            return self._penalties(page, answer.status, answer.errors, form)
        return page.redirect("/staff/penalties")

    @_posted
    @staff_only("bureau")
    def close_penalty(self, page: Page, penalty_id: str) -> Response:
        """A1: the provider rectified: the order closed with a note (also after it went overdue)."""
        form = page.form()
        answer = _checked(page.api("bureau").post(f"/penalties/{penalty_id}/closure", key=form.get("key"),
                                                  json=_given(form, "note")))
        return acted(page, answer, lambda *refused: self._penalties(page, *refused), "/staff/penalties")
