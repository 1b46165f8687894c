"""Pure rules of on-site verification: the window (P3, W6), comparing originals (P5), access (R1.8), the verdict,
the department's quality report (W1)."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from shared.kernel.network import parse_ranges
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from verification import domain
from verification.domain import OwnerOutcome

pytestmark = [pytest.mark.unit, pytest.mark.clock]

CALENDAR = WorkingCalendar.shipped()

FILING = {
    "sponsor": {"kind": "unit", "name": "北京示例（科技）有限公司", "document_type": "business_licence",
                "document_number": "91110108MA01C3H77W"},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": "11010519491231002X"},
}


@pytest.mark.req("P3")
@pytest.mark.req("X4")
@pytest.mark.parametrize("passed, closes, reminded", [
    ("2026-11-03T09:30:00+08:00", "2026-12-03T09:30:00+08:00", "2026-11-30"),  # Thursday: Monday
    ("2026-01-31T10:00:00+08:00", "2026-02-28T10:00:00+08:00", "2026-02-25"),  # 28 Feb 2026 is a working Saturday
    ("2026-12-15T23:30:00+00:00", "2027-01-16T07:30:00+08:00", "2027-01-12"),  # the month is counted in Shanghai
])
def test_window_is_one_calendar_month_in_shanghai_reminded_3_working_days_before(passed, closes, reminded):
    window = domain.onsite_window(datetime.fromisoformat(passed), CALENDAR)
    assert window.closes_at == datetime.fromisoformat(closes)
    assert window.warn_at == datetime.fromisoformat(reminded).replace(tzinfo=SHANGHAI)
    assert CALENDAR.working_days_left(window.warn_at, window.closes_at) == domain.REMIND_WORKING_DAYS


@pytest.mark.req("P3")
def test_ashortened_window_is_honoured_with_development_keys_only():
    from verification.dependencies import shortened_window

    passed = datetime.fromisoformat("2026-11-03T09:30:00+08:00")
    window = domain.onsite_window(passed, CALENDAR, shortened_window({"VERIFICATION_WINDOW_SECONDS": "60"}))
    assert window.closes_at - passed == window.warn_at - passed == timedelta(seconds=60)  # no reminder (X4)
    assert shortened_window({"VERIFICATION_WINDOW_SECONDS": ""}) is None
    with pytest.raises(ValueError, match="ALLOW_DEV_KEYS"):
        shortened_window({"VERIFICATION_WINDOW_SECONDS": "60", "ALLOW_DEV_KEYS": "false"})
    with pytest.raises(ValueError, match="positive"):
        shortened_window({"VERIFICATION_WINDOW_SECONDS": "0"})


@pytest.mark.req("P5")
def test_names_compare_after_width_bracket_and_space_normalisation():
    originals = {"sponsor": {**FILING["sponsor"], "name": "北京示例 (科技) 有限公司",
                             "document_number": "91110108ma01c3h77w"},
                 "responsible_person": dict(FILING["responsible_person"])}
    assert domain.compare_with_originals(FILING, originals) == []
    assert domain.normalise_name("ＡＢＣ　公司") == domain.normalise_name("abc公司")


@pytest.mark.req("P5")
def test_every_differing_field_is_named():
    originals = {"sponsor": {**FILING["sponsor"], "document_type": "organisation_code"},
                 "responsible_person": {**FILING["responsible_person"], "document_number": "440106198503120031"}}
    differences = domain.compare_with_originals(FILING, originals)
    assert [d.field for d in differences] == ["sponsor.document_type", "responsible_person.document_number"]
    assert differences[0].reason()["rule"] == "P5"


@pytest.mark.req("R1.8")
def test_access_needs_a_listed_method_a_province_and_the_providers_own_ips():
    ranges = parse_ranges("111.13.100.0/24, 240e:e9:6002::/48")
    good = {"access_method": "cloud_server", "server_location": "广东省广州市",
            "ip_addresses": ["111.13.100.7", "240e:e9:6002:1::1"]}
    assert domain.check_access(good, ranges) == []
    bad = {"access_method": "pigeon", "server_location": "Mars", "ip_addresses": ["10.0.0.1", "nonsense"]}
    assert [(r["field"], r["code"]) for r in domain.check_access(bad, ranges)] == [
        ("access.access_method", "choice"), ("access.server_location", "province"),
        ("access.ip_addresses.0", "not_provider_ip"), ("access.ip_addresses.1", "format")]


@pytest.mark.req("P5")
def test_owner_outcomes():
    assert domain.owner_outcome("北京示例（科技）有限公司", False, "北京示例(科技)有限公司") is OwnerOutcome.MATCH
    assert domain.owner_outcome("别人", False, "北京示例") is OwnerOutcome.MISMATCH
    assert domain.owner_outcome("", False, "北京示例") is OwnerOutcome.REDACTED
    assert domain.owner_outcome(None, False, "北京示例") is OwnerOutcome.NOT_FOUND
    assert not domain.domain_passed({"outcome": "redacted", "certificate": "e1", "confirmed_by": None})
    assert domain.domain_passed({"outcome": "redacted", "certificate": "e1", "confirmed_by": "staff:1"})


COMPLETE = {
    "photo": {"taken_at": "x"}, "copies": ["responsible_person", "sponsor"],
    "originals": {"differences": [], "authority": [{"field": "f", "source": "s", "outcome": "match"}],
                  "person_present_confirmed": True},
    "domains": [{"domain": "example.cn", "outcome": "match"}], "access": {"ip_addresses": ["1.1.1.1"]},
    "access_reasons": [], "agreement": {"signed_at": "x"},
}


@pytest.mark.req("P5")
def test_verdict_verified_rejected_or_incomplete():
    assert domain.verdict(COMPLETE) == ("verified", [])
    unavailable = {**COMPLETE, "originals": {**COMPLETE["originals"], "authority": [
        {"field": "responsible_person.document_number", "source": "public_security", "outcome": "unavailable"}]}}
    outcome, reasons = domain.verdict(unavailable)
    assert outcome == "incomplete" and reasons[0]["code"] == "authority_unavailable"  # never a pass
    mismatch = {**COMPLETE, "domains": [{"domain": "example.cn", "outcome": "mismatch"}], "photo": None}
    outcome, reasons = domain.verdict(mismatch)
    assert outcome == "rejected" and [r["code"] for r in reasons] == ["owner_mismatch"]


@pytest.mark.req("W3")
def test_agreement_clause_is_the_regulations_text():
    requirements = Path(__file__).resolve().parents[5] / "shared" / "spec" / "requirements.md"
    assert domain.SECURITY_AGREEMENT_CLAUSE in requirements.read_text(encoding="utf-8")


@pytest.mark.req("W1")
def test_only_department_members_are_counted_and_automatic_decisions_are_nobodys():
    assert domain.staff_id_of("onsite_verifier:v-1") == "v-1"
    assert domain.staff_id_of("supervisor:head-1") == "head-1"
    assert domain.staff_id_of("precheck:auto:2026.1") is None
    assert domain.staff_id_of("verification:timer") is None
    assert domain.staff_id_of("bureau:reviewer-7") is None
    assert domain.staff_id_of(None) is None


@pytest.mark.req("W1")
def test_the_quality_report_counts_each_member_and_the_unassigned_breaches():
    staff = [{"staff_id": "v-1", "name": "甲", "roles": ["onsite_verifier"], "supervisor_id": "h-1", "active": True},
             {"staff_id": "v-2", "name": "乙", "roles": ["precheck"], "supervisor_id": "h-1", "active": False}]
    facts = [domain.Fact("v-1", "onsite_decision", "f1"), domain.Fact("v-1", "onsite_decision", "f1"),
             domain.Fact("v-1", "precheck_decision", "f2"), domain.Fact("v-1", "returned", "f1"),
             domain.Fact("v-1", "correction", "f1"), domain.Fact("x-9", "contradicted", "f3"),
             domain.Fact(None, "deadline_breached", "f4")]
    rows, unassigned = domain.quality_report(staff, facts)
    by_id = {r["staff_id"]: r for r in rows}
    assert [r["staff_id"] for r in rows] == ["v-1", "v-2", "x-9"]
    assert list(by_id["v-1"]) == list(domain.QUALITY_COLUMNS)
    assert (by_id["v-1"]["filings_handled"], by_id["v-1"]["onsite_decisions"], by_id["v-1"]["precheck_decisions"],
            by_id["v-1"]["returned_by_bureau"], by_id["v-1"]["corrections"]) == (2, 2, 1, 1, 1)
    assert by_id["v-2"]["filings_handled"] == 0 and by_id["v-2"]["registered"] is True
    assert by_id["x-9"]["registered"] is False and by_id["x-9"]["contradicted_by_findings"] == 1
    assert unassigned["deadlines_breached"] == 1 and sum(unassigned.values()) == 1


@pytest.mark.req("W6")
def test_a_stock_window_runs_to_the_plans_deadline():
    requested = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    window = domain.stock_window(requested, datetime(2027, 3, 1, 23, 59, 59, tzinfo=SHANGHAI), CALENDAR)
    assert (window.opens_at, window.closes_at.date().isoformat()) == (requested, "2027-03-01")
    assert window.warn_at.date().isoformat() == "2027-02-24"  # Wednesday: 25, 26 Feb and Monday 1 Mar left
    assert domain.stock_window(requested, requested + timedelta(days=1), CALENDAR).warn_at == requested


@pytest.mark.req("P3")
@pytest.mark.req("P8")
@pytest.mark.req("W6")
def test_a_cases_lifecycle():
    """An open window is superseded, cancelled, expired, rejected or verified (sent to the bureau, or for a stock
    filing re-verified with nothing sent); only a case at the bureau is returned and reopens; nothing else
    moves."""
    S, M, R = domain.CaseState, domain.Move, domain.Raised
    assert domain.moved(S.WINDOW_OPEN, M.SUPERSEDE) == (S.SUPERSEDED, ())
    assert domain.moved(S.WINDOW_OPEN, M.CANCEL) == (S.CANCELLED, ())
    assert domain.moved(S.WINDOW_OPEN, M.EXPIRE) == (S.EXPIRED, (R.WINDOW_EXPIRED,))
    assert domain.moved(S.WINDOW_OPEN, M.REJECT) == (S.REJECTED, (R.REJECTED,))
    assert domain.moved(S.WINDOW_OPEN, M.VERIFY) == (S.SENT, (R.VERIFIED, R.SENT_TO_BUREAU))
    assert domain.moved(S.WINDOW_OPEN, M.VERIFY, stock=True) == (S.REVERIFIED, (R.VERIFIED,))
    assert domain.moved("sent_to_bureau", M.RETURN) == (S.WINDOW_OPEN, (R.WINDOW_OPENED,))
    for state in set(S) - {S.WINDOW_OPEN}:
        for move in set(M) - {M.RETURN}:
            with pytest.raises(ValueError):
                domain.moved(state, move)
    with pytest.raises(ValueError):
        domain.moved(S.WINDOW_OPEN, M.RETURN)


@pytest.mark.req("P3")
@pytest.mark.req("W6")
def test_what_the_window_timer_does_with_a_case_past_its_warning_time():
    closes = datetime.fromisoformat("2026-12-03T09:30:00+08:00")
    before, after = closes - timedelta(days=1), closes + timedelta(seconds=1)
    assert domain.due(False, closes, None, before) is domain.Due.WARN
    assert domain.due(False, closes, before, before) is None  # warned once
    assert domain.due(False, closes, before, closes) is domain.Due.EXPIRE
    assert domain.due(True, closes, None, after) is domain.Due.OVERDUE
    assert domain.due(True, closes, None, before) is domain.Due.WARN
