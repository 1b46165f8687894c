"""The access information on the access provider's console (issue 20; R1.8, W5), over intake's API as the
signed-in staff member: how the provider hosts a filing's websites (provider, access method, server location,
IPs). A filing is opened by its id (the sponsor's status page shows it). While the filing is a draft (or back
with the sponsor) intake keeps the information with the draft; once approved, a change of the hosting goes to
intake as a hosting change, which files it as a change (W5), through pre-verification again.
"""
from __future__ import annotations

from urllib.parse import quote

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.consoles.counter_steps import ACCESS_METHODS, access_from
from portal.pages import EDITABLE_STATES, Page, _checked, _page, _posted


class HostingConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    # --- R1.8, W5: the access information --------------------------------------------------------------------

    @_page
    @staff_only("hosting")
    def hosting(self, page: Page) -> Response:
        """A filing opened by its id (the lookup form), or the form to open one."""
        filing_id = page.request.args.get("filing", "").strip()
        if filing_id:
            return page.redirect(f"/staff/hosting/{quote(filing_id, safe='')}")
        return page.render("staff/hosting.html", filing=None, errors=[], methods=ACCESS_METHODS)

    @_page
    @staff_only("hosting")
    def hosting_filing(self, page: Page, filing_id: str) -> Response:
        return self._hosting(page, filing_id)

    def _hosting(self, page: Page, filing_id: str, status: int = 200, errors: list | None = None) -> Response:
        answer = _checked(page.api("intake").get(f"/filings/{filing_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        filing = answer.body
        return page.render("staff/hosting.html", status=status, filing=filing, errors=errors or [],
                           methods=ACCESS_METHODS, editable=filing["state"] in EDITABLE_STATES,
                           shown=filing["data"].get("access") or {},
                           problems=[p for p in filing.get("problems") or [] if p["field"].startswith("access")])

    @_posted
    @staff_only("hosting")
    def hosting_save(self, page: Page, filing_id: str) -> Response:
        """R1.8 into the draft; W5 for an approved filing (intake refuses either in a state it does not allow)."""
        form = page.form()
        body, intake = access_from(form), page.api("intake")
        if form.get("change") == "hosting":
            answer = _checked(intake.post(f"/filings/{filing_id}/hosting-changes", json=body, key=form.get("key")))
        else:
            answer = _checked(intake.call("PUT", f"/filings/{filing_id}/access", json=body))
        return acted(page, answer, lambda *refused: self._hosting(page, filing_id, *refused),
                     f"/staff/hosting/{filing_id}")
