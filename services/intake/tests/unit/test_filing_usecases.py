"""Intake's use cases on the in-memory unit of work (issue 18): a filing's life as intake shows it — submission
with every problem at once, the workflow's outcomes on the timeline, resubmission, a change of an approved filing,
cancellation — and the events each step emits, in milliseconds. The wiring (HTTP, the broker, PostgreSQL) is
proved in ``tests/service``."""
import copy
from datetime import timedelta

import pytest

from intake.domain.guide import CONTRACT_CLAUSE_SHA256
from intake.usecases import filings, status, submission
from intake.usecases.filings import Viewer
from intake.usecases.sites import approved_sites
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.contracts.intake import APPROVED_SITES_CHANGED, FILING_CANCELLED, FILING_CHANGED, FILING_SUBMITTED
from shared.contracts.precheck import PRECHECK_FAILED
from shared.contracts.verification import (
    FILING_SENT_TO_BUREAU,
    ONSITE_REJECTED,
    ONSITE_VERIFIED,
    ONSITE_WINDOW_EXPIRED,
)
from shared.platform.sealing import unseal

pytestmark = [pytest.mark.unit, pytest.mark.clock]

YEAR = timedelta(days=365)


def loaded(event_type: str, **data) -> dict:
    """``event_type``'s sample with ``data`` changed, as the handler's contract reads it (times as datetimes)."""
    envelope = copy.deepcopy(EVENTS.get(event_type).sample_envelope())  # the registered sample stays as is
    envelope["data"].update(data)
    return EVENTS.load(envelope)


def outcome(filing_id: str, version: int = 1, reasons: list | None = None) -> dict:
    return loaded(PRECHECK_FAILED, filing_id=filing_id, version=version, decided_by="precheck:staff-7",
                  reasons=reasons or [])


def approval(filing_id: str, number: str = "京ICP备2026000123号", **sites) -> dict:
    return loaded(FILING_APPROVED, filing_id=filing_id, version=1, filing_number=number,
                  website_numbers=sites or {"www.example.com.cn": number + "-1"}, approved_by="bureau:京:reviewer-2")


def step(event_type: str, filing_id: str, **changes) -> dict:
    return loaded(event_type, filing_id=filing_id, **changes)


def states(uow, filing_id: str) -> list[str]:
    return [s.state for s in uow.filings.timeline(filing_id)]


@pytest.fixture
def submit(uow, viewer, crypto, at):
    return lambda filing_id: submission.submit(uow, viewer, crypto.cipher(), crypto.hasher(), "sponsor:owner",
                                               filing_id, at)


@pytest.mark.req("P1")
def test_a_complete_draft_goes_out_once_sealed_with_its_documents_and_lookups(uow, draft, submit, crypto):
    filing_id = draft()
    shown = submit(filing_id)
    assert (shown["state"], shown["attempt"], shown["problems"]) == ("submitted", 1, [])
    [data] = uow.outbox.of_type(FILING_SUBMITTED)
    assert uow.outbox.types == [FILING_SUBMITTED]
    assert (data["filing_id"], data["version"], data["attempt"], data["province"]) == (filing_id, 1, 1, "京")
    assert {d["ascii"] for d in data["websites"][0]["domains"]} == {"www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"}
    assert len(data["documents"]) == 2 and data["contract_acceptance"]["accepted_by"] == "sponsor:owner"
    assert data["contacts"]["mobile"] != "13800138000"  # sealed for the bus
    opened = unseal(data, ("contacts.mobile",), crypto.cipher(), "event")
    assert opened["contacts"]["mobile"] == "13800138000"
    assert data["lookups"]["mobile"] == crypto.hasher().digest("13800138000", kind="mobile")
    with pytest.raises(Conflict):
        submit(filing_id)
    assert len(uow.outbox.envelopes) == 1


@pytest.mark.req("P1")
@pytest.mark.req("R1.6")
def test_an_incomplete_draft_names_every_problem_and_nothing_changes(uow, draft, submit):
    filing_id = draft({"sponsor": {"kind": "unit"}, "contacts": {"mobile": "12345"}}, complete=False)
    with pytest.raises(ValidationFailed) as refused:
        submit(filing_id)
    fields = {e["field"] for e in refused.value.errors}
    assert {"sponsor.name", "contacts.mobile", "websites", "access.ip_addresses", "documents",
            "contract_acceptance"} <= fields
    assert uow.outbox.envelopes == [] and states(uow, filing_id) == ["draft"]


@pytest.mark.req("P2")
def test_a_failed_precheck_is_corrected_by_the_changed_field_only_and_resubmitted(uow, viewer, draft, submit, at):
    filing_id = draft()
    submit(filing_id)
    reasons = [{"field": "contacts.email", "code": "not_confirmed", "message": "E-mail not confirmed.", "rule": "P2"}]
    status.record_precheck(uow, "provider-test", outcome(filing_id, reasons=reasons), False, at)
    edited = filings.edit_draft(uow, viewer, filing_id, {"contacts": {"email": "new@example.com.cn"}}, at)
    assert edited["data"]["contacts"]["mobile"] == "13800138000"  # kept, not re-entered
    submit(filing_id)
    assert [d["attempt"] for d in uow.outbox.of_type(FILING_SUBMITTED)] == [1, 2]
    timeline = uow.filings.timeline(filing_id)
    assert [s.state for s in timeline] == ["draft", "submitted", "precheck_failed", "submitted"]
    assert timeline[2].reasons == reasons and timeline[2].actor == "precheck:staff-7"


@pytest.mark.req("P2")
def test_an_outcome_for_a_superseded_submission_or_another_providers_filing_changes_nothing(uow, draft, submit, at):
    filing_id = draft()
    submit(filing_id)
    status.record_precheck(uow, "provider-test", outcome(filing_id, version=2), True, at)
    status.record_precheck(uow, "provider-other", outcome(filing_id), True, at)
    status.record_precheck(uow, "provider-test", outcome("5b8c1f0e-0000-4000-8000-000000000000"), True, at)
    assert states(uow, filing_id) == ["draft", "submitted"]


@pytest.mark.req("P7")
@pytest.mark.req("P8")
def test_on_site_and_bureau_steps_show_on_the_timeline(uow, draft, submit, at):
    filing_id = draft()
    submit(filing_id)
    status.record_precheck(uow, "provider-test", outcome(filing_id), True, at)
    record = lambda name, event_type, **changes: status.record_step(  # noqa: E731
        uow, "provider-test", step(event_type, filing_id, **changes), name, at, YEAR)
    record("onsite_verified", ONSITE_VERIFIED, corrections=1)
    record("sent_to_bureau", FILING_SENT_TO_BUREAU)
    record("returned", FILING_RETURNED)
    with pytest.raises(Conflict):
        filings.edit_draft(uow, Viewer("provider-test"), filing_id, {"contacts": {"email": "x@example.com.cn"}}, at)
    record("sent_to_bureau", FILING_SENT_TO_BUREAU, submission=2)
    status.record_approval(uow, "provider-test", approval(filing_id), at, YEAR)
    timeline = uow.filings.timeline(filing_id)
    assert [s.state for s in timeline] == ["draft", "submitted", "precheck_passed", "onsite_verified",
                                           "in_bureau_review", "returned_by_bureau", "onsite_verified",
                                           "in_bureau_review", "approved"]
    assert timeline[3].note == "1 field(s) corrected on site (P6)"
    assert timeline[6].actor == "verifier-1"  # the re-verification, implied by the second sending
    assert timeline[-1].note == "filing number 京ICP备2026000123号"


@pytest.mark.req("P6")
@pytest.mark.req("P7")
def test_a_sending_that_overtakes_its_verification_keeps_both_steps(uow, draft, submit, at):
    filing_id = draft()
    submit(filing_id)
    status.record_precheck(uow, "provider-test", outcome(filing_id), True, at)
    corrections = [{"field": "responsible_person.name", "by": "verifier-1", "at": "2026-11-03T10:00:00+08:00"}]
    status.record_step(uow, "provider-test", step(FILING_SENT_TO_BUREAU, filing_id, corrections=corrections),
                       "sent_to_bureau", at, YEAR)
    status.record_step(uow, "provider-test", step(ONSITE_VERIFIED, filing_id, corrections=1), "onsite_verified",
                       at, YEAR)
    assert [(s.state, s.note) for s in uow.filings.timeline(filing_id)][2:] == [
        ("precheck_passed", None), ("onsite_verified", "1 field(s) corrected on site (P6)"),
        ("in_bureau_review", "sent to the 京 bureau")]


@pytest.mark.req("P3")
@pytest.mark.req("P5")
@pytest.mark.parametrize(("event_type", "name", "state"), [
    (ONSITE_WINDOW_EXPIRED, "window_expired", "onsite_window_expired"),
    (ONSITE_REJECTED, "onsite_rejected", "onsite_rejected")])
def test_a_filing_back_from_the_counter_can_be_edited_and_resubmitted(uow, viewer, draft, submit, at, event_type,
                                                                      name, state):
    filing_id = draft()
    submit(filing_id)
    status.record_precheck(uow, "provider-test", outcome(filing_id), True, at)
    status.record_step(uow, "provider-test", step(event_type, filing_id), name, at, YEAR)
    assert states(uow, filing_id)[-1] == state
    filings.edit_draft(uow, viewer, filing_id, {"contacts": {"email": "x@example.com.cn"}}, at)
    assert submit(filing_id)["attempt"] == 2


@pytest.mark.req("P8")
@pytest.mark.req("X4")
def test_a_change_of_an_approved_filing_is_a_new_version_then_the_cancellation_retires_it(uow, viewer, draft, submit,
                                                                                          at, crypto):
    filing_id = draft()
    submit(filing_id)
    status.record_approval(uow, "provider-test", approval(filing_id), at, YEAR)
    change = submission.request_change(uow, viewer, "sponsor:owner", filing_id, at)
    assert (change["state"], change["version"]) == ("change_draft", 2)
    assert [p["field"] for p in change["problems"]] == ["contract_acceptance"]
    filings.edit_draft(uow, viewer, filing_id, {"websites": [{"name": "新名字", "domains": ["www.example.com.cn"],
                                                              "service_content": ["企业官网"]}]}, at)
    filings.accept_contract(uow, viewer, "sponsor:owner", filing_id, CONTRACT_CLAUSE_SHA256, at)
    submit(filing_id)
    cancelled = submission.cancel(uow, viewer, "sponsor:owner", filing_id, "网站关闭", at, cipher=crypto.cipher())
    assert cancelled["state"] == "cancelled"
    assert [t for t in uow.outbox.types if t != APPROVED_SITES_CHANGED] == [FILING_SUBMITTED, FILING_CHANGED,
                                                                            FILING_CANCELLED]
    [changed] = uow.outbox.of_type(FILING_CHANGED)
    assert (changed["version"], changed["previous_version"], changed["filing_number"]) == (2, 1, "京ICP备2026000123号")
    assert changed["websites"][0]["name"] == "新名字"
    [cancelled_event] = uow.outbox.of_type(FILING_CANCELLED)
    assert cancelled_event["filing_number"] == "京ICP备2026000123号"
    assert "13800138000" not in str(cancelled_event)  # X4: the sponsor's contacts travel sealed, for notify
    assert crypto.cipher().decrypt(cancelled_event["contacts"]["mobile"], context="event.contacts.mobile") \
        == "13800138000"
    with pytest.raises(Conflict):
        submission.request_change(uow, viewer, "sponsor:owner", filing_id, at)


@pytest.mark.req("P8")
def test_approved_sites_follow_approvals_cancellations_and_retired_numbers(uow, viewer, draft, submit, at, crypto):
    first, second = draft(), draft()
    for filing_id in (first, second):
        submit(filing_id)
    status.record_approval(uow, "provider-test", approval(
        first, **{"www.example.com.cn": "京ICP备2026000123号-1", "xn--fsqu00a.xn--fiqs8s": "京ICP备2026000123号-2"}),
        at, YEAR)
    status.record_approval(uow, "provider-test", approval(
        second, "京ICP备2026000124号", **{"other.example.cn": "京ICP备2026000124号-1"}), at, YEAR)
    listing = approved_sites(uow)
    assert listing["revision"] == 2
    assert [(s["domain"], s["website_number"]) for s in listing["sites"]] == [
        ("other.example.cn", "京ICP备2026000124号-1"), ("www.example.com.cn", "京ICP备2026000123号-1"),
        ("xn--fsqu00a.xn--fiqs8s", "京ICP备2026000123号-2")]
    submission.cancel(uow, viewer, "sponsor:owner", first, "网站关闭", at, cipher=crypto.cipher())
    status.record_number_retired(uow, "provider-test", {"filing_id": second}, at)
    assert approved_sites(uow)["sites"] == [] and approved_sites(uow)["revision"] == 4
    changes = uow.outbox.of_type(APPROVED_SITES_CHANGED)
    assert [(c["revision"], c["added"], c["removed"], c["count"]) for c in changes] == [
        (1, ["www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"], [], 2),
        (2, ["other.example.cn"], [], 3),
        (3, [], ["www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"], 1),
        (4, [], ["other.example.cn"], 0),
    ]


@pytest.mark.req("P1")
def test_a_filing_out_of_the_callers_scope_answers_like_an_unknown_one(uow, draft, at):
    filing_id = draft(complete=False)
    stranger = Viewer("provider-test", lambda **scope: scope["owner"] == "sponsor:stranger")
    with pytest.raises(NotFound) as hidden:
        filings.get_filing(uow, stranger, filing_id, at)
    with pytest.raises(NotFound) as unknown:
        filings.get_filing(uow, stranger, "not-a-uuid", at)
    assert hidden.value.errors == unknown.value.errors
    masked = filings.get_filing(uow, Viewer("provider-test"), filing_id, at)["data"]
    assert masked["contacts"]["mobile"] != "13800138000" and masked["contacts"]["mobile"].startswith("138")
