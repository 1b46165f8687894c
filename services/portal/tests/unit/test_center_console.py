"""The filing center's console pages (issue 20) without a browser: the statistics charts keep the official order
of the provinces and name every bar in the person's language; each page says what it shows, in Chinese by default
and in English on request, with no message key left untranslated; a sample offers the phone check of each filing
not yet checked, with the results the rules publish, and shows those recorded; the trail's page says whether the
chain holds and, if not, where it first breaks."""
from datetime import UTC, datetime

import pytest
from lxml import html

from portal.consoles.center import BAR_WIDTH, count_axis, current_month, statistics_charts
from portal.pages import ENVIRONMENTS
from portal.sessions import Session

pytestmark = pytest.mark.unit

STATS = {"month": "2026-11", "rules_version": "2026.1", "counts": {
    "sponsor_kind": {"unit": 5, "individual": 2}, "unit_type": {"enterprise": 5, "none": 2},
    "province": {"粤": 2, "京": 4, "冀": 1}, "provider_id": {"provider-b": 2, "provider-a": 5},
    "decision": {"approved": 7, "returned": 1}}}
SAMPLE = {"sample_id": "5f0c", "month": "2026-11", "seed": 42, "rules_version": "2026.1", "population": 7, "size": 2,
          "drawn_by": "auditor:auditor-1", "items": [
              {"item_id": 1, "filing_id": "f1", "filing_number": "粤ICP备2026000002号", "provider_id": "provider-b",
               "province": "粤", "stratum": "粤|provider-b", "phone_result": None, "checked_by": None},
              {"item_id": 2, "filing_id": "f2", "filing_number": "京ICP备2026000001号", "provider_id": "provider-a",
               "province": "京", "stratum": "京|provider-a", "phone_result": "wrong_person",
               "checked_by": "auditor:auditor-1"}]}
RESULTS = ["confirmed", "wrong_person", "unreachable", "refused"]


def render(template: str, locale: str = "zh_CN", **context) -> str:
    return ENVIRONMENTS[locale].get_template(template).render(session=Session(csrf="c"), csrf="c", path="/staff",
                                                              bar_width=BAR_WIDTH, **context)


def untranslated(page: str) -> list[str]:
    return [key for key in ("center.", "chart.", "statistics.", "phone_result.", "trail_problem.", "penalty_kind.")
            if key in page]


def test_a_count_chart_counts_in_four_even_steps_up_to_the_largest_value():
    assert count_axis(0) == (4, ((0, "0"), (120, "1"), (240, "2"), (360, "3"), (480, "4")))
    assert [count_axis(n)[0] for n in (7, 9, 100, 101, 2600)] == [8, 20, 100, 200, 4000]


def test_the_month_shown_first_is_beijings():
    assert current_month(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == "2026-12"
    assert current_month(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11"


@pytest.mark.req("C4")
def test_the_statistics_charts_keep_the_official_order_and_name_each_bar_in_the_persons_language():
    charts = {c["category"]: c for c in statistics_charts(STATS, "zh_CN")}
    assert list(charts) == ["province", "provider_id", "sponsor_kind", "unit_type", "decision"]
    assert [(b.label, b.text) for b in charts["province"]["bars"]] == [("北京市", "4"), ("河北省", "1"),
                                                                       ("广东省", "2")]
    assert [b.label for b in charts["provider_id"]["bars"]] == ["provider-a", "provider-b"]  # an id is a name
    assert [b.label for b in charts["decision"]["bars"]] == ["通过", "退回"]
    assert charts["decision"]["bars"][0].width == BAR_WIDTH * 7 // 8  # on an axis of 0..8
    english = {c["category"]: c for c in statistics_charts(STATS, "en")}
    assert [b.label for b in english["sponsor_kind"]["bars"]] == ["Individual", "Unit"]


@pytest.mark.req("C4")
@pytest.mark.req("X6")
@pytest.mark.parametrize(("locale", "title"), [("zh_CN", "省份（2026-11）"), ("en", "Province (2026-11)")])
def test_the_bulletin_page_says_what_it_shows_in_the_persons_language(locale, title):
    bulletin = {"month": "2026-11", "rules_version": "2026.1", "approved": 7, "returned": 1,
                "provinces": [{"province": "京", "filed_subjects": 4, "filed_sites": 5, "approved_this_month": 4}],
                "filing_rate": {"hosted": 4, "filed": 3, "rate": 0.75}}
    penalties = [{"province": "京", "kind": "rectification_order", "issued": 2, "closed": 1, "overdue": 0,
                  "open": 1}]
    page = render("staff/bulletin.html", locale, month="2026-11", bulletin=bulletin, provinces=bulletin["provinces"],
                  names={"京": "北京市"}, charts=statistics_charts(STATS, locale), penalties=penalties)
    tree = html.fromstring(page)
    assert tree.get_element_by_id("statistics-province-title").text == title
    assert "75.0%（3/4）" in tree.get_element_by_id("bulletin-figures").text_content()
    assert untranslated(page) == []
    if locale == "zh_CN":
        assert "责令限期整改" in tree.get_element_by_id("penalties").text_content()
        assert tree.xpath("//nav[@class='console-nav']//a[@aria-current='page']")[0].text == "通报与统计"


@pytest.mark.req("C1")
@pytest.mark.req("X6")
def test_a_sample_offers_the_phone_check_of_each_filing_not_yet_checked_and_shows_those_recorded():
    tree = html.fromstring(render("staff/sample.html", sample=SAMPLE, items=SAMPLE["items"], results=RESULTS,
                                  checked=1, errors=[]))
    open_row, done_row = tree.get_element_by_id("item-1"), tree.get_element_by_id("item-2")
    form = open_row.xpath(".//form")[0]
    assert form.get("action") == "/staff/samples/5f0c/items/1/phone-check"
    assert [o.text for o in form.xpath(".//select/option")] == ["请选择结果", "本人确认信息属实", "接听者非网站负责人",
                                                                "无法接通", "拒绝核实"]
    assert form.xpath(".//select/option")[0].get("value") == ""  # nothing chosen: audit names the field
    label = form.xpath(".//label")[0]
    assert label.get("for") == "result-1" and label.text == "粤ICP备2026000002号（备案f1）的电话核查结果"
    assert not done_row.xpath(".//form") and "接听者非网站负责人" in done_row.text_content()
    assert tree.get_element_by_id("sample-checked").text == "1/2"


@pytest.mark.req("P9")
@pytest.mark.req("X6")
def test_the_trail_page_says_whether_the_chain_holds_and_where_it_first_breaks():
    at = datetime(2026, 11, 30, 16, 0, 5, tzinfo=UTC)
    intact = html.fromstring(render("staff/trail.html", result={"checked": 12, "intact": True, "first_broken": None},
                                    verified_at=at))
    verdict = intact.get_element_by_id("trail-verdict")
    assert verdict.get("role") == "status" and "审计日志完整" in verdict.text_content() and "12" in \
        verdict.text_content()
    assert "2026-12-01 00:00:05" in intact.text_content()  # Beijing time
    broken = html.fromstring(render("staff/trail.html", verified_at=at, result={
        "checked": 7, "intact": False, "first_broken": {"seq": 7, "event_id": "e-7", "problem": "prev_mismatch"}}))
    verdict = broken.get_element_by_id("trail-verdict")
    assert verdict.get("role") == "alert" and broken.get_element_by_id("trail-seq").text == "7"
    assert "该条记录之前的记录被删除或调换" in verdict.text_content()


@pytest.mark.req("X5")
@pytest.mark.req("X6")
def test_the_findings_page_lists_a_providers_shell_sites_open_first_and_the_months_failures():
    shells = {"provider_id": "provider-a", "open": 1, "findings": [
        {"finding_id": "s1", "domain": "gone.example.cn", "found_at": "2026-11-30T16:00:00+00:00",
         "rectify_by": "2026-12-30T16:00:00+00:00", "inventory_import_id": "i", "cleared_at": None,
         "cleared_reason": None},
        {"finding_id": "s2", "domain": "back.example.cn", "found_at": "2026-11-01T00:00:00+00:00",
         "rectify_by": "2026-12-01T00:00:00+00:00", "inventory_import_id": "i",
         "cleared_at": "2026-11-02T00:00:00+00:00", "cleared_reason": "hosted_again"}]}
    monthly = [{"provider_id": "provider-a", "filings": 5, "id_check_failed": 1, "id_check_accuracy": 0.8,
                "phone_checked": 2, "phone_confirmed": 1, "phone_accuracy": 0.5}]
    page = render("staff/findings.html", month="2026-11", provider="provider-a", providers=["provider-a"],
                  monthly=monthly, shells=shells, checked={"found": "1", "cleared": "0"})
    tree = html.fromstring(page)
    rows = tree.get_element_by_id("shell-sites").xpath(".//tbody/tr")
    assert [r.xpath("th")[0].text for r in rows] == ["gone.example.cn", "back.example.cn"]
    assert "2026-12-31 00:00" in rows[0].text_content() and "未整改" in rows[0].text_content()
    assert "已恢复接入" in rows[1].text_content()
    assert [td.text for td in tree.get_element_by_id("monthly-findings").xpath(".//tbody/tr/td")] == [
        "5", "1", "2", "1"]
    assert "新发现空壳网站1个" in tree.get_element_by_id("shell-check-result").text
    assert untranslated(page) == []


@pytest.mark.req("C1")
@pytest.mark.req("X6")
def test_the_sample_page_draws_the_months_sample_and_shows_each_providers_checks_of_the_month():
    report = {"month": "2026-11", "rules_version": "2026.1", "providers": [
        {"provider_id": "provider-a", "filings": 5, "id_check_failed": 1, "id_check_accuracy": 0.8,
         "phone_checked": 0, "phone_confirmed": 0, "phone_accuracy": None}]}
    tree = html.fromstring(render("staff/samples.html", errors=[], month="2026-11", seed="", report=report))
    draw = tree.xpath("//form[@action='/staff/samples' and @method='post']")[0]
    assert draw.xpath(".//input[@name='month']")[0].get("value") == "2026-11"
    assert draw.xpath(".//input[@name='seed']")[0].get("value") == ""  # random unless the auditor gives one
    cells = [td.text for td in tree.get_element_by_id("monthly-report").xpath(".//tbody/tr/td")]
    assert cells == ["5", "1", "80.0%", "0", "0", "—"]  # nothing phoned yet: no accuracy, not 0 %
    assert tree.xpath("//a[@aria-current='page']")[0].text == "月度抽查"
