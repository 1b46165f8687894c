"""Pure rules of on-site verification: the window (P3), comparing originals (P5), access (R1.8), the verdict."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from verification import domain
from verification.domain import OwnerOutcome

pytestmark = pytest.mark.unit

FILING = {
    "sponsor": {"kind": "unit", "name": "北京示例（科技）有限公司", "document_type": "business_licence",
                "document_number": "91110108MA01C3H77W"},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": "11010519491231002X"},
}


@pytest.mark.req("P3")
@pytest.mark.parametrize("passed, closes", [
    ("2026-11-03T09:30:00+08:00", "2026-12-03T09:30:00+08:00"),
    ("2026-01-31T10:00:00+08:00", "2026-02-28T10:00:00+08:00"),
    ("2026-12-15T23:30:00+00:00", "2027-01-16T07:30:00+08:00"),  # the month is counted in Asia/Shanghai
])
def test_window_is_one_calendar_month_in_shanghai(passed, closes):
    window = domain.onsite_window(datetime.fromisoformat(passed))
    assert window.closes_at == datetime.fromisoformat(closes)
    assert window.closes_at - window.warn_at == domain.WARN_BEFORE


@pytest.mark.req("P3")
def test_ashortened_window_is_honoured_with_development_keys_only():
    from verification.dependencies import shortened_window

    passed = datetime.fromisoformat("2026-11-03T09:30:00+08:00")
    window = domain.onsite_window(passed, shortened_window({"VERIFICATION_WINDOW_SECONDS": "60"}))
    assert (window.closes_at - passed, window.warn_at - passed) == (timedelta(seconds=60), timedelta(seconds=30))
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
    ranges = domain.parse_ranges("111.13.100.0/24, 240e:e9:6002::/48")
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
