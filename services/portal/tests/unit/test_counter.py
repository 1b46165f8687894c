"""The on-site counter's pages without a browser (issue 20): how a refused photo's reasons become the checks the
page lists, where an outstanding reason is settled, the appointment typed in Beijing time, and the pages in both
languages with every text from the catalogue."""
import re

import pytest

from portal.consoles.counter import STEPS, bookable, open_steps, step_of
from portal.consoles.counter_steps import photo_checks
from portal.pages import ENVIRONMENTS
from portal.sessions import Session

pytestmark = pytest.mark.unit


def _reason(code: str) -> dict:
    return {"field": "photo", "code": code, "message": "", "rule": "P4"}


@pytest.mark.req("P4")
def test_each_check_of_a_refused_photo_is_shown_with_its_reasons_and_what_was_not_run():
    shown = {c["name"]: c for c in photo_checks([_reason("greyscale"), _reason("several_faces")])}
    assert [c for c in shown] == ["format", "size", "colour", "face", "logo", "reuse"]
    assert {n: c["outcome"] for n, c in shown.items()} == {
        "format": "passed", "size": "passed", "colour": "failed", "face": "failed", "logo": "passed",
        "reuse": "passed"}
    assert [r["code"] for r in shown["face"]["reasons"]] == ["several_faces"]
    # a photo of the wrong size stops before the pixels are looked at: nothing after it was checked
    stopped = {c["name"]: c["outcome"] for c in photo_checks([_reason("size")])}
    assert stopped == {"format": "passed", "size": "failed", "colour": "not_run", "face": "not_run",
                       "logo": "not_run", "reuse": "not_run"}


@pytest.mark.req("P5")
def test_an_outstanding_reason_points_to_the_step_that_settles_it():
    assert [step_of(f) for f in ("photo", "face.decision", "copies.sponsor", "responsible_person.name",
                                 "originals.person_present_confirmed", "domains.example.com.cn",
                                 "access.ip_addresses.0", "agreement", "body")] == [
        "photo", "face", "originals", "originals", "originals", "domains", "access", "agreement", None]
    case = {"outstanding": [{"field": "photo"}, {"field": "copies.sponsor"}, {"field": "sponsor.name"}]}
    assert open_steps(case) == {"photo", "originals"} and set(STEPS) >= open_steps(case)


@pytest.mark.req("P3")
def test_the_appointment_is_typed_in_beijing_time():
    assert bookable("2026-12-07T18:30") == "2026-12-07T18:30:00+08:00"
    assert bookable("") is None and bookable("tomorrow") is None
    assert bookable("2026-12-07T18:30+00:00") is None  # the form's field never carries a zone


CASE = {"filing_id": "6f1c1d3e-0000-4000-8000-000000000001", "state": "window_open", "sponsor_ref": "ref",
        "opens_at": "2026-12-01T02:00:00+00:00", "closes_at": "2027-01-01T02:00:00+00:00",
        "filing": {"sponsor": {"kind": "unit", "unit_type": "enterprise", "name": "北京示例网络科技有限公司",
                               "document_type": "business_licence"},
                   "responsible_person": {"document_type": "resident_id"}},
        "photo": {"taken_at": "2026-12-01T03:00:00+00:00", "by": "onsite_verifier:v-1", "stamped": "e-1",
                  "faces": 1, "logo_score": 0.99},
        "face": {"consent": True, "consent_at": "2026-12-01T03:01:00+00:00", "outcome": "same_person",
                 "distance": 0.1, "threshold": 0.6, "source": "card_scan", "compared_by": "onsite_verifier:v-1",
                 "compared_at": "2026-12-01T03:02:00+00:00", "decision": None},
        "originals": {"authority": [{"field": "sponsor.document_number", "source": "business_registry",
                                     "outcome": "match"}], "differences": [{"field": "responsible_person.name"}],
                      "person_present_confirmed": True, "recorded_by": "onsite_verifier:v-1",
                      "recorded_at": "2026-12-01T03:05:00+00:00"},
        "copies": ["sponsor"], "corrections": [], "domains": [{"domain": "example.com.cn", "outcome": "redacted",
                                                               "protocol": "rdap", "server": "s", "evidence": "e-2",
                                                               "looked_up_at": "2026-12-01T03:06:00+00:00",
                                                               "certificate": "e-3", "confirmed_by": None}],
        "access": None, "agreement": None, "forms": None, "reasons": [], "appointment": None,
        "returned": [{"returned_at": "2026-12-02T02:00:00+00:00", "by": "bureau:京:reviewer-1",
                      "reasons": [{"field": "contacts.postal_address", "code": "staff_reason", "message": "缺少门牌号",
                                   "rule": "B1"}]}],
        "outstanding": [{"field": "face.decision", "code": "required", "message": "", "rule": "X8"},
                        {"field": "copies.responsible_person", "code": "required", "message": "", "rule": "P5"}]}


@pytest.mark.req("X6")
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("step", [*STEPS, "case"])
def test_each_counter_page_reads_in_the_persons_language_with_times_in_beijing(locale, step):
    template = "staff/counter_case.html" if step == "case" else f"staff/counter_{step}.html"
    html = ENVIRONMENTS[locale].get_template(template).render(
        session=Session(csrf="x"), csrf="x", path="/staff/counter", case=CASE, errors=[], steps=STEPS, step=step,
        open_steps=open_steps(CASE), step_of=step_of, checks=None, sources=("card_scan", "chip_photo"),
        subjects=("sponsor", "responsible_person"), checked=("name", "document_type", "document_number"),
        correctable=("responsible_person.name",), document_types={"sponsor": ["business_licence"],
                                                                  "responsible_person": ["resident_id"]},
        methods=("cloud_server",), shown={}, clause="依据《非经营性互联网备案管理办法》", copies=("provider", "bureau"),
        seals={})
    assert not re.search(r"\b(counter|check_outcome|photo_check|face_outcome|face_source|console)\.(?!js)[a-z_]+", html)
    assert "2027-01-01 10:00" in html  # the window's end, in Beijing time
    if locale == "zh_CN":
        assert "待完成" in html  # the steps verification still names a reason for
    if locale == "zh_CN" and step == "case":  # P8: what the bureau returned it for, for the verifier to settle
        assert "通信管理局退回（2026-12-02 10:00）" in html and "通信地址：缺少门牌号" in html
