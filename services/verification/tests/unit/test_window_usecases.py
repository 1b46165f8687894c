"""P3, W6, W1: the on-site window's use cases on in-memory repositories (tests/fakes.py): a pass opens the window on
exactly the submission it carries, once; a newer pass supersedes; a cancellation closes; the timer warns and
expires once, a stock filing is overdue and still verified; the bureau's return reopens (P8); quality facts are
counted where they happen."""
import copy
import uuid
from datetime import datetime, timedelta

import pytest

from services.verification.tests.unit.events import CRYPTO, loaded, precheck_passed, submission_data
from shared.contracts.bureau import FILING_RETURNED
from shared.contracts.intake import FILING_CANCELLED, REVERIFICATION_REQUESTED
from shared.testing.clock import first_unofficial_year, sample_schedule
from shared.testing.samples import unit_filing
from verification.domain import CaseState, Quality
from verification.usecases import window
from verification.usecases.case import STORE_CONTEXT, filing_of, steps_of

pytestmark = [pytest.mark.unit, pytest.mark.clock]

OPENED, WARNED, EXPIRED = "onsite_window_opened.v1", "onsite_window_nearly_expired.v1", "onsite_window_expired.v1"


@pytest.mark.req("P3")
def test_a_pass_opens_a_one_month_window_on_the_submission_it_carries(wired, uow, cipher, clock):
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=datetime.fromisoformat("2026-01-31T10:00:00+08:00"))
    case = uow.cases.current(filing_id, lock=False)
    assert case.state == CaseState.WINDOW_OPEN
    assert case.closes_at == datetime.fromisoformat("2026-02-28T10:00:00+08:00")
    assert filing_of(uow, cipher, case)["responsible_person"] == unit_filing()["responsible_person"]
    assert uow.submissions.get(case.submission_id).filing["contacts"]["mobile"].startswith("v")  # sealed at rest
    assert CRYPTO.cipher().decrypt(case.mobile_token, context=f"{STORE_CONTEXT}.mobile") == "13800138000"
    assert [(e["filing_id"], e["attempt"]) for e in uow.outbox.of_type(OPENED)] == [(filing_id, 1)]


@pytest.mark.req("P3")
@pytest.mark.req("P5")
def test_a_resubmissions_pass_opens_on_its_own_data_and_supersedes_the_earlier_window(wired, uow, cipher, clock):
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock() - timedelta(days=2))
    corrected = copy.deepcopy(unit_filing())
    corrected["contacts"]["postal_address"] = "北京市海淀区中关村大街99号"
    precheck_passed(wired, filing_id, submission_data(filing_id, corrected, attempt=2), decided_at=clock())
    first, second = uow.cases.of_filing(filing_id)
    assert (first.state, second.state) == (CaseState.SUPERSEDED, CaseState.WINDOW_OPEN)
    assert uow.cases.current(filing_id, lock=False) is second
    assert uow.submissions.get(second.submission_id).attempt == 2
    assert filing_of(uow, cipher, second)["contacts"]["postal_address"] == "北京市海淀区中关村大街99号"
    assert filing_of(uow, cipher, first)["contacts"]["postal_address"] == unit_filing()["contacts"]["postal_address"]
    assert [e["attempt"] for e in uow.outbox.of_type(OPENED)] == [1, 2]


@pytest.mark.req("P3")
@pytest.mark.req("W1")
def test_a_pass_of_a_submission_already_opened_opens_and_counts_nothing_again(wired, uow, clock):
    filing_id = str(uuid.uuid4())
    submission = submission_data(filing_id)
    precheck_passed(wired, filing_id, submission, decided_at=clock(), decided_by="precheck:checker-1")
    precheck_passed(wired, filing_id, submission, decided_at=clock(), decided_by="precheck:checker-1")
    assert len(uow.cases.of_filing(filing_id)) == 1
    assert len(uow.outbox.of_type(OPENED)) == 1
    assert [(r.staff_id, r.kind, r.outcome) for r in uow.quality.rows.values()] == [
        ("checker-1", Quality.PRECHECK_DECISION, "passed")]


@pytest.mark.req("P3")
def test_a_cancellation_closes_the_open_window_with_a_step(wired, uow, clock):
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock())
    wired.on_cancelled(loaded(FILING_CANCELLED, "intake", {
        "filing_id": filing_id, "provider_id": "provider-test", "province": "京", "filing_number": None,
        "reason": "changed mind", "cancelled_at": clock().isoformat(), "cancelled_by": "sponsor"}))
    assert uow.cases.current(filing_id, lock=False).state == CaseState.CANCELLED
    assert [(s["step"], s["outcome"], s["actor"]) for s in steps_of(uow, filing_id)] == [
        ("window", "cancelled", "sponsor")]


@pytest.mark.req("P3")
def test_an_unused_window_warns_then_expires_exactly_once(wired, uow, clock):
    warned, expired = str(uuid.uuid4()), str(uuid.uuid4())
    precheck_passed(wired, warned, decided_at=clock() - timedelta(days=29))
    precheck_passed(wired, expired, decided_at=clock() - timedelta(days=40))
    assert wired.check_windows() == 2
    assert wired.check_windows() == 0  # the next round raises nothing again
    assert [e["filing_id"] for e in uow.outbox.of_type(WARNED)] == [warned]
    (gone,) = uow.outbox.of_type(EXPIRED)
    assert gone["filing_id"] == expired
    assert CRYPTO.cipher().decrypt(gone["mobile"], context="event.mobile") == "13800138000"
    assert uow.cases.current(expired, lock=False).state == CaseState.EXPIRED
    assert wired.open_deadlines() == {"open": 1, "breached": 0}


@pytest.mark.req("X4")
def test_the_sponsor_is_reminded_once_3_working_days_before_the_window_closes(wired, uow, clock):
    """The clock set: a pass on Tuesday 3 November 2026 closes the window on Thursday 3 December; Monday 30
    November is the day 3 working days are left."""
    reminded, verified = str(uuid.uuid4()), str(uuid.uuid4())
    clock.set("2026-11-03T09:30:00+08:00")
    for filing_id in (reminded, verified):
        precheck_passed(wired, filing_id, decided_at=clock())
    uow.cases.current(verified, lock=False).state = CaseState.SENT  # verified on site: nobody is reminded
    clock.set("2026-11-29T23:59:59+08:00")
    assert wired.check_windows() == 0
    clock.set("2026-11-30T00:00:00+08:00")
    assert [wired.check_windows(), wired.check_windows()] == [1, 0]  # the schedule run twice: one reminder
    [reminder] = uow.outbox.of_type(WARNED)
    assert (reminder["filing_id"], reminder["closes_at"]) == (reminded, "2026-12-03T09:30:00+08:00")
    assert CRYPTO.cipher().decrypt(reminder["mobile"], context="event.mobile") == "13800138000"


@pytest.mark.req("X4")
def test_a_loaded_year_moves_the_reminders_not_yet_sent(wired, uow, clock):
    """A window closing in a year without official data was given its reminder by the provisional rule; the
    year's notice, once loaded, moves it (here: a made-up notice that makes 12-15 January days off)."""
    clock.set(f"{first_unofficial_year()}-01-07T10:00:00+08:00")
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock() - timedelta(days=25))
    case = uow.cases.current(filing_id, lock=False)
    before = case.warn_at
    schedule = sample_schedule(first_unofficial_year())
    schedule["holidays"] = [{"date": clock.day(days=d), "name": "测试"} for d in range(5, 9)]
    answer = window.load_calendar_year(uow, schedule, "ops:admin", now=clock)
    assert answer == {"year": first_unofficial_year(), "recomputed_deadlines": 1}
    assert case.warn_at < before
    assert uow.calendar.working().working_days_left(case.warn_at, case.closes_at) == 3


@pytest.mark.req("W6")
@pytest.mark.req("W1")
def test_a_stock_filing_past_its_deadline_is_overdue_but_still_open_and_counted_once(wired, uow, clock):
    filing_id = str(uuid.uuid4())
    submitted = submission_data(filing_id)
    request = loaded(REVERIFICATION_REQUESTED, "intake", {
        **{k: v for k, v in submitted.items() if k not in ("attempt", "submitted_at", "documents",
                                                            "contract_acceptance")},
        "filing_number": "京ICP备05000001号", "import_id": str(uuid.uuid4()),
        "requested_at": (clock() - timedelta(days=90)).isoformat(),
        "deadline": (clock() - timedelta(days=1)).isoformat()})
    wired.on_reverification_requested(request)
    wired.on_reverification_requested(request)  # the same request again: nothing new
    assert wired.check_windows() == 1
    assert wired.check_windows() == 0
    case = uow.cases.current(filing_id, lock=False)
    assert (case.state, case.purpose, uow.submissions.get(case.submission_id).attempt) == (
        CaseState.WINDOW_OPEN, "stock", 0)
    assert uow.outbox.types == [OPENED]  # no onsite_window_expired.v1: no SMS to the sponsor
    report = wired.quality(clock() - timedelta(days=400), clock() + timedelta(days=1))
    assert report["unassigned"]["deadlines_breached"] == 1
    assert wired.open_deadlines() == {"open": 1, "breached": 0}


@pytest.mark.req("P8")
@pytest.mark.req("W1")
def test_the_bureaus_return_reopens_the_sent_case_with_the_next_sending(wired, uow, clock):
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock())
    case = uow.cases.current(filing_id, lock=False)
    case.state, case.decided_by, case.decided_at = CaseState.SENT, "onsite_verifier:verifier-1", clock()
    returned = {"filing_id": filing_id, "version": 1, "submission": 1, "provider_id": "provider-test", "province": "京",
                "returned_at": clock().isoformat(), "returned_by": "bureau:京:officer-1",
                "reasons": [{"field": "websites", "code": "unclear", "message": "不清楚", "rule": "P8"}]}
    wired.on_returned(loaded(FILING_RETURNED, "bureau", returned))
    assert (case.state, case.sending, case.decided_by) == (CaseState.WINDOW_OPEN, 2, None)
    assert case.returned[0]["by"] == "bureau:京:officer-1"
    wired.on_returned(loaded(FILING_RETURNED, "bureau", returned))  # nothing sent any more: no-op
    assert case.sending == 2
    assert [r.staff_id for r in uow.quality.rows.values() if r.kind == Quality.RETURNED] == ["verifier-1"]
    assert len(uow.outbox.of_type(OPENED)) == 2
