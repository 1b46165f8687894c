"""The staff's consoles (issue 20) without a browser: who is shown which console, on which deployment; a token
that is not a staff member's signs nobody in; the filing center's table and chart keep the official order of
the provinces."""
from datetime import UTC, datetime

import pytest

from portal.consoles.access import StaffAccess, consoles_for
from portal.consoles.center import current_quarter, shaped
from portal.sessions import Session
from shared.platform.auth import AuthConfig, Principal
from shared.testing.http import sponsor_token, token

pytestmark = pytest.mark.unit
ALL = ("access-provider", "provincial-bureau", "filing-center")


class _Settings:
    verifier = AuthConfig.from_config({"ALLOW_DEV_KEYS": True}).verifier()


class _Page:
    def __init__(self, bearer):
        self.session = Session(token=bearer)


@pytest.mark.req("X6")
def test_each_role_sees_only_its_consoles_and_only_where_the_deployment_serves_them():
    def names(role, actors=ALL, **scope):
        return [c.name for c in consoles_for(Principal("someone", role, **scope), actors)]

    assert names("precheck", provider="p") == ["precheck", "hosting"]
    assert names("onsite_verifier", provider="p") == ["counter", "hosting"]
    assert names("supervisor", provider="p") == ["precheck", "counter", "hosting", "department", "stewardship"]
    assert names("reviewer", province="京") == ["bureau"]
    assert names("auditor") == ["center"]
    assert names("reviewer", ("access-provider",), province="京") == []  # the provider's portal has no review
    assert names("ops", provider="p") == []


@pytest.mark.req("X6")
def test_only_a_valid_staff_token_signs_a_person_in():
    access = StaffAccess(_Settings())
    staff = access.principal(_Page(token("reviewer", "r-1", province="粤")))
    assert (staff.role, staff.province) == ("reviewer", "粤")
    for bearer in (None, "not-a-token", token("precheck", "p-1", provider="p", ttl=-120), sponsor_token()):
        assert access.principal(_Page(bearer)) is None, bearer


@pytest.mark.req("C2")
def test_the_quarterly_table_and_chart_keep_the_official_order_of_the_provinces():
    report = {"providers": [{"provider_id": "a", "filing_rate": {"hosted": 4, "filed": 3, "rate": 0.75}},
                            {"provider_id": "b", "filing_rate": None}],
              "cells": [{"province": p, "provider_id": v, "filings": 4, "flagged": 1, "accuracy": 0.75}
                        for p, v in (("粤", "a"), ("冀", "b"), ("京", "a"), ("津", "b"))]}
    shown = shaped(report)
    assert shown["provinces"] == ["京", "津", "冀", "粤"]
    assert [b.label for b in shown["accuracy"]] == ["京 · a", "津 · b", "冀 · b", "粤 · a"]
    assert shown["accuracy"][0].text == "75.0%（3/4）" and shown["accuracy"][0].width == 360
    assert [(b.label, b.text) for b in shown["filing_rate"]] == [("a", "75.0%（3/4）"), ("b", "—")]


def test_the_quarter_shown_first_is_beijings():
    assert current_quarter(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027Q1"  # already 1 January in Beijing
    assert current_quarter(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == "2026Q3"


@pytest.mark.req("C2")
@pytest.mark.parametrize(("locale", "title", "axis"), [
    ("zh_CN", "2026年第4季度备案信息准确率（按省份、接入服务单位）", "准确率（%）"),
    ("en", "Accuracy of the filings, 2026 Q4, by province and provider", "Accuracy (%)")])
def test_the_quarterly_chart_says_what_it_shows_in_the_persons_language(locale, title, axis):
    from portal.consoles.center import BAR_WIDTH
    from portal.pages import ENVIRONMENTS

    report = {"providers": [{"provider_id": "a", "filing_rate": None}],
              "cells": [{"province": "京", "provider_id": "a", "filings": 2, "flagged": 0, "accuracy": 1.0}]}
    html = ENVIRONMENTS[locale].get_template("staff/quarterly.html").render(
        session=Session(csrf="x"), csrf="x", path="/staff/reports", quarter="2026Q4", year="2026", number="4",
        bar_width=BAR_WIDTH, **shaped(report))
    assert f"<title id=\"accuracy-chart-title\">{title}</title>" in html and axis in html
    assert "100.0%（2/2）" in html and "chart." not in html  # no message key left untranslated
