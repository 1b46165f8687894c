"""The access provider's on-site counter (issue 20; P3–P7, X6, W4), as the signed-in verifier over verification's
API: the list of today's open windows, and one case: where each step of the visit stands, what keeps it from
being verified, the decision, and the sealed form to view and download. The steps' own pages are
:mod:`portal.consoles.counter_steps`.

- The list (P3): every case whose 1-month window is open today, soonest closing first (verification's order),
  each deadline and booked appointment in Beijing time; today's appointments first.
- The case: each step with its outcome and a link to its page, verification's ``outstanding`` reasons (in
  Chinese, by code), an appointment to book inside the window, the decision (P5–P7: verification seals the form
  and sends it to the bureau, or refuses the filing with the reasons), then both copies of the sealed form with
  their seal checked offline by verification (P6).
- Evidence (the photo, the sealed agreement, the forms) is fetched through verification's short-lived link, each
  opening recorded (W4), and served from the portal's own origin: the link never reaches the browser.
"""
from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.consoles.provider import pdf_response
from portal.pages import Page, _checked, _page, _posted
from shared.i18n import BEIJING, beijing

FORM_COPIES = ("provider", "bureau")
STEPS = ("photo", "face", "originals", "domains", "access", "agreement")
"""The counter's steps in the order of the visit, one page each (:mod:`portal.consoles.counter_steps`)."""
_STEP_OF = {"photo": "photo", "face": "face", "originals": "originals", "copies": "originals",
            "sponsor": "originals", "responsible_person": "originals", "domains": "domains", "access": "access",
            "agreement": "agreement"}


def step_of(field: str) -> str | None:
    """The step whose page settles an outstanding reason about ``field`` (``copies.sponsor`` -> originals)."""
    return _STEP_OF.get(field.split(".", 1)[0])


def open_steps(case: dict) -> set[str]:
    """The steps verification still names a reason for (presentation of its ``outstanding`` list)."""
    return {step_of(r.get("field") or "") for r in case.get("outstanding") or []} - {None}


def case_of(page: Page, filing_id: str):
    return _checked(page.api("verification").get(f"/filings/{filing_id}"))


def bookable(text: str) -> str | None:
    """A ``datetime-local`` value typed at the counter, read as Beijing time, as verification takes it (ISO 8601
    with its offset); None when it is no date and time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=BEIJING).isoformat() if moment.tzinfo is None else None


class CounterConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("counter")
    def counter(self, page: Page) -> Response:
        """P3: the windows open today, soonest closing first; today's appointments (Beijing date) listed first."""
        answer = _checked(page.api("verification").get("/cases", params={"state": "window_open"}))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        cases = answer.body.get("items", [])
        today = beijing(datetime.now(UTC))[:10]
        booked = sorted((c for c in cases if beijing((c.get("appointment") or {}).get("at"))[:10] == today),
                        key=lambda c: c["appointment"]["at"])
        return page.render("staff/counter.html", cases=cases, booked=booked, today=today)

    @_page
    @staff_only("counter")
    def counter_case(self, page: Page, filing_id: str) -> Response:
        return self._counter_case(page, filing_id)

    def _counter_case(self, page: Page, filing_id: str, status: int = 200, errors: list | None = None) -> Response:
        answer = case_of(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        case, seals = answer.body, {}
        for copy in FORM_COPIES:  # P6: each copy's seal, checked offline by verification
            if copy in (case.get("forms") or {}):
                checked = _checked(page.api("verification").get(f"/filings/{filing_id}/forms/{copy}/validation"))
                seals[copy] = checked.ok and bool(checked.body.get("valid"))
        return page.render("staff/counter_case.html", status=status, case=case, errors=errors or [],
                           copies=FORM_COPIES, seals=seals, steps=STEPS, open_steps=open_steps(case),
                           step_of=step_of)

    @_posted
    @staff_only("counter")
    def counter_book(self, page: Page, filing_id: str) -> Response:
        """P3: the time the responsible person is expected, typed in Beijing time; verification keeps it inside
        the window."""
        form = page.form()
        at = bookable(form.get("at", ""))
        if at is None:
            return self._counter_case(page, filing_id, 422, [{"field": "at", "code": "format", "message": "",
                                                                "rule": "P3"}])
        answer = _checked(page.api("verification").post(f"/filings/{filing_id}/appointment", json={"at": at},
                                                        key=form.get("key")))
        return acted(page, answer, lambda *refused: self._counter_case(page, filing_id, *refused),
                     f"/staff/counter/{filing_id}")

    @_posted
    @staff_only("counter")
    def counter_decide(self, page: Page, filing_id: str) -> Response:
        """P5/P6: the decision; verification names what is outstanding when the case may not be decided."""
        answer = _checked(page.api("verification").post(f"/filings/{filing_id}/decision",
                                                        key=page.form().get("key")))
        return acted(page, answer, lambda *refused: self._counter_case(page, filing_id, *refused),
                     f"/staff/counter/{filing_id}")

    @_page
    @staff_only("counter")
    def counter_form(self, page: Page, filing_id: str, copy: str) -> Response:
        """P6: the sealed form (PDF), shown or (``?download=1``) saved, through verification's recorded 300 s link
        (W4); the link stays here."""
        case = case_of(page, filing_id)
        if not case.ok:
            return page.error(case.status, case.errors)
        evidence_id = (case.body.get("forms") or {}).get(copy)
        if evidence_id is None:
            return page.error(404, title="error.not_found_title")
        return self._evidence(page, case.body, evidence_id, f"form-{copy}.pdf",
                              download=page.request.args.get("download") == "1")

    @_page
    @staff_only("counter")
    def counter_evidence(self, page: Page, filing_id: str, evidence_id: str) -> Response:
        """W4: one object of the case (the stamped photo, the sealed agreement), through the recorded link;
        verification answers 404 for an object that is not in this sponsor's file."""
        case = case_of(page, filing_id)
        if not case.ok:
            return page.error(case.status, case.errors)
        return self._evidence(page, case.body, evidence_id, evidence_id)

    def _evidence(self, page: Page, case: dict, evidence_id: str, name: str, *, download: bool = False) -> Response:
        verification = page.api("verification")
        link = _checked(verification.get(f"/archive/{case['sponsor_ref']}/evidence/{evidence_id}"))
        if not link.ok:
            return page.error(link.status, link.errors)
        return pdf_response(page, verification.fetch(link.body["url"]), name, download=download)
