"""The access information and the department's pages without a browser (issue 20; R1.8, W1, W5): the quality
report's period in Beijing dates, and both pages in both languages with every text from the catalogue."""
import re

import pytest

from portal.consoles.counter_steps import ACCESS_METHODS
from portal.consoles.department import STAFF_ROLES, instants, period
from portal.pages import ENVIRONMENTS
from portal.sessions import Session

pytestmark = pytest.mark.unit


@pytest.mark.req("W1")
def test_the_quality_reports_period_is_whole_beijing_days():
    assert period({"since": "2026-01-01", "until": "2026-12-31"}) == ("2026-01-01", "2026-12-31", [])
    assert instants("2026-01-01", "2026-12-31") == {"since": "2026-01-01T00:00:00+08:00",
                                                    "until": "2027-01-01T00:00:00+08:00"}  # the last day included
    since, until, errors = period({})
    assert since == f"{until[:4]}-01-01" and errors == []  # the calendar year so far, for the annual assessment
    assert [(e["field"], e["code"]) for e in period({"since": "2026-13-01", "until": "x"})[2]] == [
        ("since", "date"), ("until", "date")]
    assert [(e["field"], e["code"]) for e in period({"since": "2026-06-02", "until": "2026-06-01"})[2]] == [
        ("until", "before_since")]


REPORT = {"items": [{"staff_id": "verifier-1", "name": "王五", "roles": ["onsite_verifier"], "active": True,
                     "registered": True, "filings_handled": 2, "precheck_decisions": 0, "onsite_decisions": 2,
                     "returned_by_bureau": 1, "contradicted_by_findings": 0, "corrections": 1,
                     "deadlines_breached": 0},
                    {"staff_id": "stranger", "name": None, "roles": [], "active": False, "registered": False,
                     "filings_handled": 0, "precheck_decisions": 1, "onsite_decisions": 0, "returned_by_bureau": 0,
                     "contradicted_by_findings": 0, "corrections": 0, "deadlines_breached": 0}],
          "unassigned": {"precheck_decisions": 0, "onsite_decisions": 0, "returned_by_bureau": 0,
                         "contradicted_by_findings": 0, "corrections": 0, "deadlines_breached": 3}}
FILING = {"id": "6f1c1d3e-0000-4000-8000-000000000001", "state": "approved", "filing_number": "京ICP备2026000001号",
          "data": {"sponsor": {"name": "北京示例网络科技有限公司"},
                   "websites": [{"name": "示例", "domains": [{"unicode": "例子.中国"}]}],
                   "access": {"provider_name": "示例云", "access_method": "cloud_server", "server_location": "北京市",
                              "ip_addresses": ["111.13.100.91"]}}}


@pytest.mark.req("W1")
@pytest.mark.parametrize(("locale", "texts"), [
    ("zh_CN", ("当面核验决定", "被通信管理局退回", "不在部门名册中", "当面核验人员", "无人认领")),
    ("en", ("On-site decisions", "Returned by the bureau", "not in the department", "Nobody (unclaimed)"))])
def test_the_quality_report_names_each_column_and_who_is_not_in_the_department(locale, texts):
    html = ENVIRONMENTS[locale].get_template("staff/department.html").render(
        session=Session(csrf="x"), csrf="x", path="/staff/department", since="2026-01-01", until="2026-12-31",
        report=REPORT, members=[{"staff_id": "verifier-1", "name": "王五", "roles": ["onsite_verifier"],
                                 "supervisor_id": "supervisor-1", "active": True}], errors=[], roles=STAFF_ROLES)
    assert all(t in html for t in texts), [t for t in texts if t not in html]
    assert not re.search(r"(quality\.(?!csv)|console\.)[a-z_]+", html)  # no message key left untranslated
    assert "/staff/department/quality.csv?since=2026-01-01&amp;until=2026-12-31" in html


@pytest.mark.req("R1.8")
@pytest.mark.req("W5")
def test_an_approved_filings_hosting_is_changed_as_a_change_and_a_drafts_entered_in_place():
    env = ENVIRONMENTS["zh_CN"].get_template("staff/hosting.html")
    common = {"session": Session(csrf="x"), "csrf": "x", "path": "/staff/hosting", "errors": [], "problems": [],
              "methods": ACCESS_METHODS, "shown": FILING["data"]["access"]}
    approved = env.render(filing=FILING, editable=False, **common)
    assert 'name="change" value="hosting"' in approved and "提交接入信息变更" in approved and "云服务器" in approved
    draft = env.render(filing={**FILING, "state": "draft", "filing_number": None}, editable=True, **common)
    assert 'name="change"' not in draft and "保存接入信息" in draft
    submitted = env.render(filing={**FILING, "state": "submitted"}, editable=False, **common)
    assert "hosting-form" not in submitted
