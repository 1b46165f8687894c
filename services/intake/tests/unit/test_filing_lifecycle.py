"""The filing's transitions (``intake.domain.filing``, issue 18): each returns the filing's new state, the steps
its timeline gains and the events to emit, or refuses with the states that would do."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from intake.domain import filing as lifecycle
from intake.domain import revisits
from intake.domain.filing import FilingState, StateConflict
from intake.domain.revisits import RevisitConflict, RevisitState
from shared.contracts.intake import FILING_CANCELLED, FILING_CHANGED, FILING_SUBMITTED

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)
LOOKUPS = {"sponsor_kind": "unit", "province": "京", "person_document_hmac": "p" * 64, "mobile_hmac": "m" * 64}


def draft() -> lifecycle.Filing:
    return lifecycle.new_draft("f-1", "provider-test", "sponsor:owner", AT).filing


@pytest.mark.req("P1")
def test_a_new_draft_is_version_1_with_its_first_step():
    change = lifecycle.new_draft("f-1", "provider-test", "sponsor:owner", AT)
    assert (change.filing.state, change.filing.version, change.filing.attempt) == (FilingState.DRAFT, 1, 0)
    assert [(s.state, s.note) for s in change.steps] == [("draft", "draft created")] and change.events == ()


@pytest.mark.req("P1")
def test_submitting_counts_the_attempt_keeps_the_lookups_and_emits_the_head_of_filing_submitted():
    change = lifecycle.submit(draft(), "sponsor:owner", AT, **LOOKUPS)
    assert (change.filing.state, change.filing.attempt, change.filing.province) == (FilingState.SUBMITTED, 1, "京")
    [(event_type, head)] = change.events
    assert event_type == FILING_SUBMITTED
    assert head == {"filing_id": "f-1", "version": 1, "attempt": 1, "provider_id": "provider-test", "province": "京",
                    "submitted_at": AT.isoformat()}
    with pytest.raises(StateConflict) as refused:
        lifecycle.submit(change.filing, "sponsor:owner", AT, **LOOKUPS)
    assert "cannot submit a filing in state submitted" in refused.value.message


@pytest.mark.req("P8")
def test_a_change_of_an_approved_filing_is_the_next_version_and_goes_out_as_filing_changed():
    submitted = lifecycle.submit(draft(), "sponsor:owner", AT, **LOOKUPS).filing
    approved = lifecycle.approve(submitted, {"filing_number": "京ICP备2026000123号", "version": 1,
                                             "approved_by": "bureau:京:reviewer-2"}, AT).filing
    assert (approved.state, approved.approved_version) == (FilingState.APPROVED, 1)
    started = lifecycle.start_change(approved, "sponsor:owner", AT)
    assert (started.filing.state, started.filing.version) == (FilingState.CHANGE_DRAFT, 2)
    assert started.steps[0].note == "change started from version 1"
    [(event_type, head)] = lifecycle.submit(started.filing, "sponsor:owner", AT, **LOOKUPS).events
    assert (event_type, head["previous_version"], head["filing_number"]) == (FILING_CHANGED, 1, "京ICP备2026000123号")
    with pytest.raises(StateConflict):
        lifecycle.start_change(started.filing, "sponsor:owner", AT)


@pytest.mark.req("P8")
def test_cancelling_a_draft_emits_nothing_and_a_cancelled_filing_stays_cancelled():
    cancelled = lifecycle.cancel(draft(), "sponsor:owner", "不要了", AT)
    assert (cancelled.filing.state, cancelled.events) == (FilingState.CANCELLED, ())
    assert lifecycle.approve(cancelled.filing, {"filing_number": "x", "version": 1, "approved_by": "b"}, AT).steps == ()
    with pytest.raises(StateConflict):
        lifecycle.cancel(cancelled.filing, "sponsor:owner", "again", AT)
    submitted = lifecycle.submit(draft(), "sponsor:owner", AT, **LOOKUPS).filing
    [(event_type, data)] = lifecycle.cancel(submitted, "supervisor:s-1", "网站关闭", AT).events
    assert (event_type, data["cancelled_by"], data["reason"]) == (FILING_CANCELLED, "supervisor:s-1", "网站关闭")


@pytest.mark.req("P2")
def test_a_precheck_outcome_applies_to_the_current_submission_only():
    submitted = lifecycle.submit(draft(), "sponsor:owner", AT, **LOOKUPS).filing
    failed = lifecycle.precheck_outcome(submitted, {"version": 1, "decided_by": "precheck:7", "reasons": []}, False, AT)
    assert failed.filing.state == FilingState.PRECHECK_FAILED
    stale = lifecycle.precheck_outcome(submitted, {"version": 2, "decided_by": "precheck:7", "reasons": []}, True, AT)
    assert stale.filing == submitted and stale.steps == ()


@pytest.mark.req("P7")
def test_a_sending_before_its_verification_implies_the_verification():
    passed = replace(lifecycle.submit(draft(), "sponsor:owner", AT, **LOOKUPS).filing,
                     state=FilingState.PRECHECK_PASSED)
    sent = lifecycle.workflow_step(passed, "sent_to_bureau", {"version": 1, "sent_by": "verifier-1", "province": "京",
                                                              "corrections": [{}]}, AT)
    assert [(s.state, s.actor, s.note) for s in sent.steps] == [
        ("onsite_verified", "verifier-1", "1 field(s) corrected on site (P6)"),
        ("in_bureau_review", "verifier-1", "sent to the 京 bureau")]
    late = lifecycle.workflow_step(sent.filing, "onsite_verified", {"version": 1, "decided_by": "v",
                                                                    "corrections": 0}, AT)
    assert late.steps == ()


@pytest.mark.req("W5")
def test_a_revisit_opens_escalates_and_is_answered_once():
    scheduled = revisits.schedule("r-1", "f-1", "provider-test", AT, timedelta(days=365))
    assert (scheduled.state, scheduled.due_at) == (RevisitState.SCHEDULED, AT + timedelta(days=365))
    opened = revisits.open_(scheduled, AT, timedelta(days=30))
    escalated = revisits.escalate(opened, AT + timedelta(days=30))
    answered = revisits.answer(escalated, "update", "sponsor:owner", AT)
    assert (opened.answer_by, escalated.state, answered.state) == (AT + timedelta(days=30), "escalated", "updated")
    with pytest.raises(RevisitConflict):
        revisits.answer(answered, "confirmed", "sponsor:owner", AT)
    with pytest.raises(RevisitConflict):
        revisits.answer(scheduled, "confirmed", "sponsor:owner", AT)
