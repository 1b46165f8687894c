"""The access provider's staff console (issue 20; P2): the pre-verification queue, as the signed-in staff member
over precheck's API, and what the consoles share (field reasons, objects served from the portal's origin). The
on-site counter is :mod:`portal.consoles.counter` and :mod:`portal.consoles.counter_steps`.

Pre-verification (P2): the filings that need a person, oldest deadline first, each deadline in Beijing time and
counted in working days by precheck's calendar; claim one, then pass it or fail it with field reasons.
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.pages import Page, _checked, _page, _posted

# The fields a pre-verification or review reason may name, besides those the automatic checks flagged.
REASON_FIELDS = ("sponsor.name", "sponsor.document_number", "responsible_person.name",
                 "responsible_person.document_number", "contacts.mobile", "contacts.email", "websites.0.name",
                 "websites.0.domains", "websites.0.service_content", "documents")


def reasons_from(form: dict, rule: str) -> list[dict]:
    """The one field reason a console form carries (field and the staff's own words); none without words."""
    text = form.get("message", "").strip()
    return [{"field": form.get("field", ""), "code": "staff_reason", "message": text, "rule": rule}] if text else []


def reason_fields(flagged: list[dict]) -> list[str]:
    return list(dict.fromkeys([*(f["field"] for f in flagged if f.get("field")), *REASON_FIELDS]))


class ProviderConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("precheck")
    def precheck_queue(self, page: Page) -> Response:
        answer = _checked(page.api("precheck").get("/queue"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("staff/precheck_queue.html", items=answer.body["items"],
                           deadlines=answer.body.get("deadlines"))

    @_page
    @staff_only("precheck")
    def precheck_case(self, page: Page, filing_id: str) -> Response:
        return self._precheck_case(page, filing_id)

    def _precheck_case(self, page: Page, filing_id: str, status: int = 200, errors: list | None = None) -> Response:
        answer = _checked(page.api("precheck").get(f"/filings/{filing_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        case = answer.body
        return page.render("staff/precheck_case.html", status=status, case=case, errors=errors or [],
                           fields=reason_fields(case.get("findings") or []), mine=case.get("claimed_by") ==
                           page.principal.actor)

    @_posted
    @staff_only("precheck")
    def precheck_claim(self, page: Page, filing_id: str) -> Response:
        answer = _checked(page.api("precheck").post(f"/queue/{filing_id}/claim", key=page.form().get("key")))
        return acted(page, answer, lambda *refused: self._precheck_case(page, filing_id, *refused),
                     f"/staff/precheck/{filing_id}")

    @_posted
    @staff_only("precheck")
    def precheck_decide(self, page: Page, filing_id: str) -> Response:
        """P2: pass, or fail with the field and the reason (precheck refuses a fail without one, naming it)."""
        form = page.form()
        body = {"decision": form.get("decision", ""), "reasons": reasons_from(form, "P2")}
        answer = _checked(page.api("precheck").post(f"/queue/{filing_id}/decision", json=body, key=form.get("key")))
        return acted(page, answer, lambda *refused: self._precheck_case(page, filing_id, *refused), "/staff/precheck")


def pdf_response(page: Page, fetched, name: str, *, download: bool = False) -> Response:
    """An object fetched through a short-lived link, served from the portal (sandboxed, nothing runs): shown in
    the browser, or saved as ``name`` when ``download``."""
    if fetched.status_code != 200:
        return page.error(502)
    response = Response(fetched.content, mimetype=fetched.headers.get("Content-Type") or "application/pdf")
    response.headers["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return page.finish(response)
