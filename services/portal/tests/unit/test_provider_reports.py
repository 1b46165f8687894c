"""The provider's stewardship reports (issue 20; W5, W6) without a browser: the revisits to follow up with their
times in Beijing; the stock's re-verification per import against its deadline, as a table and a chart; an import's
report with every rejected row's line, field and rule, in Chinese."""
import pytest
from lxml import html

from portal.consoles.center import BAR_WIDTH, PERCENT_TICKS
from portal.consoles.provider_reports import REVISIT_STATES, import_bars
from portal.pages import ENVIRONMENTS
from portal.sessions import Session

pytestmark = pytest.mark.unit


def render(template: str, locale: str = "zh_CN", **context) -> html.HtmlElement:
    return html.fromstring(ENVIRONMENTS[locale].get_template(template).render(
        session=Session(csrf="c"), csrf="c", path="/staff", **context))


@pytest.mark.req("W5")
@pytest.mark.req("X6")
def test_the_revisits_to_follow_up_are_listed_with_their_times_in_beijing():
    revisit = {"id": "r1", "filing_id": "f0c2a9e1-0000-4000-8000-000000000000", "state": "escalated",
               "due_at": "2026-11-01T00:00:00+00:00", "opened_at": "2026-11-01T00:00:00+00:00",
               "answer_by": "2026-11-30T16:00:00+00:00", "escalated_at": "2026-12-01T00:00:00+00:00",
               "answered_at": None, "answered_by": None, "filing_number": "京ICP备2026000001号"}
    report = {"provider_id": "p", "at": "2026-12-02T00:00:00+00:00", "counts": {"escalated": 1, "confirmed": 4},
              "next_due_at": None, "escalated": [revisit], "open": []}
    page = render("staff/revisits.html", report=report, states=REVISIT_STATES)
    counts = [li.text_content().split() for li in page.get_element_by_id("revisit-counts").xpath("li")]
    assert counts == [["待回访", "0"], ["待主办者答复", "0"], ["逾期未答复", "1"], ["已确认信息准确", "4"],
                      ["已提交变更", "0"], ["已结束", "0"]]
    row = page.get_element_by_id("escalated").xpath(".//tbody/tr")[0]
    assert [c.text_content() for c in row] == ["京ICP备2026000001号", "f0c2a9e1", "2026-11-01 08:00",
                                               "2026-12-01 00:00", "2026-12-01 08:00"]
    assert page.get_element_by_id("next-due").text == "—"


@pytest.mark.req("W6")
@pytest.mark.req("X6")
def test_the_stock_is_shown_against_each_imports_deadline_as_a_table_and_a_chart():
    imports = [{"import_id": "a1b2c3d4-0000", "planned": 4, "done": 3, "overdue": 1, "pending": 0,
                "deadline": "2026-12-31T15:59:59+00:00"},
               {"import_id": "e5f6a7b8-0000", "planned": 0, "done": 0, "overdue": 0, "pending": 0,
                "deadline": "2027-03-31T15:59:59+00:00"}]
    bars = import_bars(imports)
    assert [(b.label, b.text, b.width) for b in bars] == [("2026-12-31", "75.0%（3/4）", BAR_WIDTH * 3 // 4),
                                                          ("2027-03-31", "—", 0)]
    progress = {"provider_id": "p", "at": "x", "planned": 4, "done": 3, "pending": 0, "overdue": 1,
                "imports": imports}
    page = render("staff/stock.html", progress=progress, bars=bars, ticks=PERCENT_TICKS, bar_width=BAR_WIDTH,
                  errors=[])
    assert page.get_element_by_id("stock-imports").xpath(".//tbody/tr/th")[0].text == "2026-12-31 23:59"
    assert page.xpath("//svg[@id='stock-chart']/title")[0].text == "存量网站当面核验进度（按导入批次的核验期限）"
    assert page.xpath("//form[@action='/staff/stock/imports']")[0].get("enctype") == "multipart/form-data"


@pytest.mark.req("W6")
def test_an_imports_report_names_each_rejected_rows_line_field_and_rule_in_chinese():
    report = {"import_id": "c55a89bc-0000", "source": "http", "started_by": "supervisor:s-1",
              "started_at": "2026-12-07T10:32:00+00:00", "finished_at": "2026-12-07T10:32:01+00:00",
              "deadline": "2099-12-31T15:59:59+00:00", "rows": 4, "imported": 3, "already_imported": 0,
              "rejected": 1, "rejections_listed": 1, "rejections": [
                  {"line": 5, "filing_number": "京ICP备07000003号", "errors": [
                      {"field": "contacts.mobile", "code": "format", "message": "x", "rule": "R1.6"}]}]}
    page = render("staff/stock_import.html", report=report)
    row = page.get_element_by_id("rejections").xpath(".//tbody/tr")[0]
    assert row.xpath("th")[0].text == "5" and "手机号码" in row.text_content() and "R1.6" in row.text_content()
    assert page.get_element_by_id("import-rejected").text == "1"
