"""The verification department and its quality report on the access provider's console (issue 20; W1), over
verification's API as the signed-in supervisor: the members with their roles and the supervisor responsible for
each, a member added or changed, and each member's filing quality in a period (Beijing dates; the calendar year
so far by default, for the annual assessment), on the page or as verification's CSV.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from werkzeug.wrappers import Response

from portal.consoles.access import acted, staff_only
from portal.pages import Page, _checked, _page, _posted
from shared.i18n import BEIJING, beijing

STAFF_ROLES = ("precheck", "onsite_verifier", "supervisor")  # the department's roles (W1)


def period(args) -> tuple[str, str, list[dict]]:
    """The report's first and last day (``YYYY-MM-DD``, Beijing) from the query, or the calendar year so far;
    with the field errors of a day that is not a date, or a last day before the first."""
    today = beijing(datetime.now(UTC))[:10]
    since, until = args.get("since") or f"{today[:4]}-01-01", args.get("until") or today
    errors = []
    for field, text in (("since", since), ("until", until)):
        try:
            date.fromisoformat(text)
        except ValueError:
            errors.append({"field": field, "code": "date", "message": "", "rule": "W1"})
    if not errors and until < since:
        errors.append({"field": "until", "code": "before_since", "message": "", "rule": "W1"})
    return since, until, errors


def instants(since: str, until: str) -> dict:
    """The period as verification reads it: from the first day's start to the end of the last, Beijing time."""
    start = datetime.combine(date.fromisoformat(since), time(), BEIJING)
    end = datetime.combine(date.fromisoformat(until) + timedelta(days=1), time(), BEIJING)
    return {"since": start.isoformat(), "until": end.isoformat()}


class DepartmentConsole:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @staff_only("department")
    def department(self, page: Page) -> Response:
        return self._department(page)

    def _department(self, page: Page, status: int = 200, errors: list | None = None) -> Response:
        verification = page.api("verification")
        members = _checked(verification.get("/staff"))
        if not members.ok:
            return page.error(members.status, members.errors)
        since, until, wrong = period(page.request.args)
        report = None
        if not wrong:
            answer = _checked(verification.get("/staff-quality", params=instants(since, until)))
            report, wrong = (answer.body, []) if answer.ok else (None, answer.errors)
        return page.render("staff/department.html", status=status if not wrong else 422,
                           members=members.body.get("staff", []), report=report, since=since, until=until,
                           errors=[*(errors or []), *wrong], roles=STAFF_ROLES)

    @_page
    @staff_only("department")
    def department_csv(self, page: Page) -> Response:
        """W1: verification's CSV of the period, for the annual assessment."""
        since, until, wrong = period(page.request.args)
        if wrong:
            return page.error(400, wrong)
        fetched = page.api("verification").raw("/staff-quality", params={**instants(since, until), "format": "csv"})
        if fetched.status_code != 200:
            return page.error(502)
        response = Response(fetched.content, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="staff-quality-{since}-{until}.csv"'
        return page.finish(response)

    @_posted
    @staff_only("department")
    def department_member(self, page: Page) -> Response:
        """W1: a member added or changed (verification says what does not fit the department, every problem)."""
        form = page.form()
        staff_id = form.get("staff_id", "").strip()
        body = {"name": form.get("name", "").strip(), "roles": page.request.form.getlist("roles"),
                "supervisor_id": form.get("supervisor_id", "").strip() or None, "active": form.get("active") == "yes"}
        if not staff_id:
            return self._department(page, 422, [{"field": "staff_id", "code": "required", "message": "",
                                                 "rule": "W1"}])
        answer = _checked(page.api("verification").call("PUT", f"/staff/{staff_id}", json=body))
        return acted(page, answer, lambda *refused: self._department(page, *refused), "/staff/department")
