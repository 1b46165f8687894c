"""The provincial bureau's review console (issue 20; P8, B1), as the signed-in reviewer over the bureau's API.

The province's open reviews, by their deadline (20 working days on the State Council's calendar, or the province's
own period, counted by the bureau; shown in Beijing time, the nearest first; the bureau scopes them to the
reviewer's province: a reviewer of another province sees none); a review page with the filing's data (personal
fields masked by the bureau), the MIIT SMS check, the sealed form's seal check, the corrections made on site and
the evidence, each item opened through the bureau's short-lived link (a POST: the bureau records every opening, B1)
and served from the portal's own origin, the link never reaching the browser; approve, or return to the provider
with one or more fields and the reason for each (P8: it verifies again and sends the filing anew).
The bureau's oversight of providers (B2, A1) is :mod:`portal.consoles.oversight`; its public pages
:mod:`portal.consoles.public`.
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.consoles.provider import pdf_response
from portal.pages import Page, _checked, _page, _posted

# What a reviewer may name in a return (B1: the key information one by one), in the order the review shows it.
RETURN_FIELDS = ("sponsor.name", "sponsor.document_number", "responsible_person.name",
                 "responsible_person.document_number", "contacts.mobile", "contacts.office_phone", "contacts.email",
                 "contacts.postal_address", "websites.0.name", "websites.0.domains", "websites.0.service_content",
                 "documents")
RETURN_ROWS = 3  # reasons a return form offers at once (the bureau takes up to 50)


def return_reasons(form: dict) -> list[dict]:
    """The return form's field reasons: each row the reviewer wrote words in (its field and the words); none
    without words, which the bureau refuses, naming what is missing."""
    reasons = []
    for row in range(RETURN_ROWS):
        text = form.get(f"message-{row}", "").strip()
        if text:
            reasons.append({"field": form.get(f"field-{row}", ""), "code": "staff_reason", "message": text,
                            "rule": "B1"})
    return reasons


class BureauConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("bureau")
    def reviews(self, page: Page) -> Response:
        answer = _checked(page.api("bureau").get("/reviews"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/reviews.html", items=answer.body["items"])

    @_page
    @staff_only("bureau")
    def review(self, page: Page, filing_id: str) -> Response:
        return self._review(page, filing_id)

    def _review(self, page: Page, filing_id: str, status: int = 200, errors: list | None = None) -> Response:
        answer = _checked(page.api("bureau").get(f"/reviews/{filing_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/review.html", status=status, review=answer.body, errors=errors or [],
                           fields=RETURN_FIELDS, rows=range(RETURN_ROWS))

    @_posted
    @staff_only("bureau")
    def review_approve(self, page: Page, filing_id: str) -> Response:
        """P8: approve; the bureau issues the number (a form sent twice is one approval)."""
        answer = _checked(page.api("bureau").post(f"/reviews/{filing_id}/approval", key=page.form().get("key")))
        return acted(page, answer, lambda *refused: self._review(page, filing_id, *refused),
                     f"/staff/reviews/{filing_id}")

    @_posted
    @staff_only("bureau")
    def review_return(self, page: Page, filing_id: str) -> Response:
        """P8, B1: return to the provider with each field and its reason (the bureau refuses a return without)."""
        form = page.form()
        answer = _checked(page.api("bureau").post(f"/reviews/{filing_id}/return", key=form.get("key"),
                                                  json={"reasons": return_reasons(form)}))
        return acted(page, answer, lambda *refused: self._review(page, filing_id, *refused),
                     f"/staff/reviews/{filing_id}")

    @_posted
    @staff_only("bureau")
    def review_evidence(self, page: Page, filing_id: str, item: str) -> Response:
        """B1: one evidence item through the bureau's recorded short-lived link, fetched here."""
        bureau = page.api("bureau")
        link = _checked(bureau.post(f"/reviews/{filing_id}/evidence/{item}/link"))
        if not link.ok:
            return self._review(page, filing_id, link.status, link.errors)
        return pdf_response(page, bureau.fetch(link.body["url"]), item)
