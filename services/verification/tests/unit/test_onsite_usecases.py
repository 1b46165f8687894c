"""P3, P5, R1.8, issue 8: rules of the on-site steps on in-memory repositories (tests/fakes.py): an appointment lies
inside the window, access information outside the provider's ranges is refused with nothing stored, a closed
window takes no step, a filing out of the caller's scope reads as unknown, a decision with checks outstanding
changes nothing (P5); every reading of the sponsor's file is recorded (W4)."""
import uuid
from datetime import timedelta

import pytest

from services.verification.tests.unit.events import precheck_passed
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from verification.usecases import onsite, outcome, reading, sponsor_file
from verification.usecases.case import steps_of

pytestmark = [pytest.mark.unit, pytest.mark.clock]

ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91", "240e:e9:6002:15c::ff"]}
STAFF = "onsite_verifier:verifier-1"


def elsewhere(**_scope) -> bool:
    """A caller of another provider or province."""
    return False


def everywhere(**_scope) -> bool:
    """An auditor, or a supervisor of the provider."""
    return True


def _opened(wired, clock, days_ago: int = 0) -> str:
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock() - timedelta(days=days_ago))
    return filing_id


def _codes(refused) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in refused.value.errors}


@pytest.mark.req("P3")
def test_an_appointment_lies_inside_the_window(wired, uow, clock):
    filing_id = _opened(wired, clock)
    for outside in (clock() - timedelta(hours=1), clock() + timedelta(days=45)):
        with pytest.raises(ValidationFailed) as refused:
            wired.book_appointment(filing_id, STAFF, outside)
        assert _codes(refused) == {("at", "outside_window")}
    booked = wired.book_appointment(filing_id, STAFF, clock() + timedelta(days=3))
    assert (booked["appointment"]["by"], booked["appointment"]["at"]) == (
        STAFF, (clock() + timedelta(days=3)).isoformat())
    assert [(s["step"], s["outcome"], s["actor"]) for s in steps_of(uow, filing_id)] == [
        ("appointment", "booked", STAFF)]


@pytest.mark.req("P5")
@pytest.mark.req("R1.8")
def test_access_information_outside_the_providers_ranges_is_refused_and_nothing_stored(wired, uow, clock):
    filing_id = _opened(wired, clock)
    with pytest.raises(ValidationFailed) as refused:
        wired.set_access(filing_id, STAFF, {**ACCESS, "access_method": "satellite",
                                            "ip_addresses": ["8.8.8.8", "111.13.100.5"]})
    assert _codes(refused) == {("access.access_method", "choice"), ("access.ip_addresses.0", "not_provider_ip")}
    assert wired.get_case(filing_id)["access"] is None and steps_of(uow, filing_id) == []
    entered = wired.set_access(filing_id, STAFF, ACCESS)
    assert entered["access"] == {**ACCESS, "entered_by": STAFF}


@pytest.mark.req("P3")
def test_a_closed_window_takes_no_step(wired, clock):
    filing_id = _opened(wired, clock, days_ago=40)
    with pytest.raises(Conflict) as closed:
        wired.set_access(filing_id, STAFF, ACCESS)
    assert _codes(closed) == {("state", "window_closed")}


def test_a_filing_out_of_the_callers_scope_reads_as_unknown(wired, uow, cipher, clock):
    """Issue 8: staff of another provider (or a reviewer of another province) neither read nor act on it."""
    filing_id = _opened(wired, clock)
    with pytest.raises(NotFound):
        reading.get_case(uow, filing_id, may_see=elsewhere, cipher=cipher)
    with pytest.raises(NotFound):
        onsite.book_appointment(uow, filing_id, STAFF, clock() + timedelta(days=1), may_see=elsewhere, cipher=cipher,
                                now=clock)
    assert reading.list_cases(uow, None, may_see=elsewhere, cipher=cipher) == []
    with pytest.raises(NotFound):
        wired.get_case(str(uuid.uuid4()))


@pytest.mark.req("W4")
def test_every_reading_of_the_sponsors_file_is_recorded_and_another_scope_reads_nothing(wired, uow, cipher, clock):
    filing_id = _opened(wired, clock)
    ref = uow.cases.current(filing_id, lock=False).sponsor_hmac
    with pytest.raises(NotFound):
        sponsor_file.archive(uow, ref, "reviewer:粤:r-2", may_see=elsewhere, cipher=cipher, now=clock)
    listed = sponsor_file.archive(uow, ref, "auditor:a-1", may_see=everywhere, cipher=cipher, now=clock)
    assert [c["filing_id"] for c in listed["cases"]] == [filing_id] and listed["evidence"] == []
    seen = sponsor_file.accesses(uow, ref, "supervisor:head-1", may_see=everywhere, now=clock)
    assert sorted((a["action"], a["viewer"]) for a in seen) == [("audit", "supervisor:head-1"), ("list", "auditor:a-1")]


@pytest.mark.req("P5")
def test_a_decision_with_checks_outstanding_is_refused_with_every_reason_and_changes_nothing(wired, uow, cipher,
                                                                                            clock):
    filing_id = _opened(wired, clock)
    facts = dict(uow.quality.rows)
    with pytest.raises(ValidationFailed) as refused:
        outcome.decide(uow, filing_id, STAFF, may_see=everywhere, cipher=cipher, exchange=None, store=None,
                       bucket="evidence", sealer=None, provider_id="provider-test", now=clock)
    assert {"photo", "originals"} <= {e["field"] for e in refused.value.errors}
    case = uow.cases.current(filing_id, lock=False)
    assert (case.decided_by, case.forms, uow.quality.rows, steps_of(uow, filing_id)) == (None, None, facts, [])
    assert uow.outbox.types == ["onsite_window_opened.v1"]
