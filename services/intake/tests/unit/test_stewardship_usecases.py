"""W5 on the in-memory unit of work (issue 18): each approved sponsor is revisited on a schedule; the revisit asks
it (sealed contacts for notify), an unanswered one escalates to staff and shows in the provider's status; the
sponsor confirms or updates; a hosting change goes out as a change toward the bureau; a stock filing verified on
site is done (W6) and revisited from then on. The timer and the broker are proved in ``tests/service``."""
import copy
import json
from datetime import timedelta

import pytest

from intake.usecases import revisits, status, submission
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.contracts.intake import FILING_CHANGED, REVISIT_ESCALATED, REVISIT_REQUESTED
from shared.contracts.verification import ONSITE_VERIFIED
from shared.testing.samples import ACCESS

pytestmark = [pytest.mark.unit, pytest.mark.clock]

YEAR = timedelta(days=365)
MONTH = timedelta(days=30)


def loaded(event_type: str, **data) -> dict:
    envelope = copy.deepcopy(EVENTS.get(event_type).sample_envelope())  # the registered sample stays as is
    envelope["data"].update(data)
    return EVENTS.load(envelope)


@pytest.fixture
def approved(uow, viewer, draft, crypto, clock):
    """``make() -> filing id``: a filing submitted and approved by the bureau now."""

    def make() -> str:
        filing_id = draft()
        submission.submit(uow, viewer, crypto.cipher(), crypto.hasher(), "sponsor:owner", filing_id, clock())
        status.record_approval(uow, "provider-test", loaded(
            FILING_APPROVED, filing_id=filing_id, version=1, filing_number="京ICP备2026000123号",
            website_numbers={"www.example.com.cn": "京ICP备2026000123号-1"}, approved_at=clock.iso()), clock(), YEAR)
        return filing_id

    return make


def run(uow, crypto, clock) -> dict:
    return revisits.run_revisits(uow, crypto.cipher(), "provider-test", clock(), MONTH)


@pytest.mark.req("W5")
def test_a_revisit_opens_when_due_escalates_unanswered_and_the_sponsor_then_updates(uow, viewer, approved, crypto,
                                                                                     clock):
    filing_id = approved()
    assert run(uow, crypto, clock) == {"opened": 0, "escalated": 0}
    clock.advance(days=365)
    assert run(uow, crypto, clock) == {"opened": 1, "escalated": 0}
    [asked] = uow.outbox.of_type(REVISIT_REQUESTED)
    assert (asked["filing_id"], asked["filing_number"], asked["province"]) == (filing_id, "京ICP备2026000123号", "京")
    assert crypto.cipher().decrypt(asked["contacts"]["mobile"], context="event.contacts.mobile") == "13800138000"
    assert "13800138000" not in json.dumps(asked, ensure_ascii=False)
    clock.advance(days=30)
    assert run(uow, crypto, clock) == {"opened": 0, "escalated": 1}
    assert uow.outbox.of_type(REVISIT_ESCALATED)[0]["revisit_id"] == asked["revisit_id"]
    seen = revisits.status(uow, "provider-test", clock())
    assert seen["counts"]["escalated"] == 1
    assert [(r["id"], r["filing_number"]) for r in seen["escalated"]] == [(asked["revisit_id"], "京ICP备2026000123号")]

    answered = revisits.answer(uow, viewer, "sponsor:owner", filing_id, asked["revisit_id"], "update", clock(), YEAR)
    assert (answered["revisit"]["state"], answered["filing"]["state"]) == ("updated", "change_draft")
    with pytest.raises(Conflict) as again:
        revisits.answer(uow, viewer, "sponsor:owner", filing_id, asked["revisit_id"], "confirmed", clock(), YEAR)
    assert again.value.errors[0]["rule"] == "W5"


@pytest.mark.req("W5")
def test_a_confirmed_revisit_schedules_the_next_and_a_cancelled_filing_is_not_revisited(uow, viewer, approved, crypto,
                                                                                       clock):
    filing_id = approved()
    clock.advance(days=366)
    run(uow, crypto, clock)
    [asked] = uow.outbox.of_type(REVISIT_REQUESTED)
    answered = revisits.answer(uow, viewer, "sponsor:owner", filing_id, asked["revisit_id"], "confirmed", clock(), YEAR)
    assert answered["filing"]["state"] == "approved"
    listed = revisits.filing_revisits(uow, viewer, filing_id)["revisits"]
    assert [r["state"] for r in listed] == ["scheduled", "confirmed"]
    assert uow.filings.timeline(filing_id)[-1].note == "data confirmed at the regular revisit (W5)"
    with pytest.raises(NotFound):
        revisits.answer(uow, viewer, "sponsor:owner", filing_id, "not-a-uuid", "confirmed", clock(), YEAR)
    submission.cancel(uow, viewer, "sponsor:owner", filing_id, "site closed", clock(), cipher=crypto.cipher())
    assert [r["state"] for r in revisits.filing_revisits(uow, viewer, filing_id)["revisits"]] == ["closed",
                                                                                                  "confirmed"]


@pytest.mark.req("W5")
def test_a_hosting_change_goes_to_the_bureau_as_a_change_keeping_the_accepted_clause(uow, viewer, approved, crypto,
                                                                                      clock):
    filing_id = approved()
    change = lambda access: submission.change_hosting(  # noqa: E731
        uow, viewer, crypto.cipher(), crypto.hasher(), "onsite_verifier:verifier-1", filing_id, access, clock())
    with pytest.raises(ValidationFailed) as same:
        change(ACCESS)
    assert [(e["field"], e["code"], e["rule"]) for e in same.value.errors] == [("access", "unchanged", "W5")]
    with pytest.raises(ValidationFailed) as private:
        change({**ACCESS, "ip_addresses": ["10.1.2.3"]})
    assert private.value.errors[0]["rule"] == "R1.8"

    moved = change({**ACCESS, "server_location": "上海市", "ip_addresses": ["101.226.103.106"]})

    assert (moved["state"], moved["version"]) == ("submitted", 2)
    [event] = uow.outbox.of_type(FILING_CHANGED)
    assert (event["version"], event["previous_version"], event["filing_number"]) == (2, 1, "京ICP备2026000123号")
    assert event["access"]["ip_addresses"] == ["101.226.103.106"]
    assert [(s.state, s.actor) for s in uow.filings.timeline(filing_id)[-2:]] == [
        ("change_draft", "onsite_verifier:verifier-1"), ("submitted", "onsite_verifier:verifier-1")]
    with pytest.raises(Conflict):
        change({**ACCESS, "server_location": "广州市"})


@pytest.mark.req("W6")
def test_a_stock_filing_verified_on_site_is_done_and_then_revisited(uow, approved, clock):
    filing_id = approved()
    uow.revisits.rows.clear()
    uow.revisits.stock_plans[filing_id] = None
    verified = loaded(ONSITE_VERIFIED, filing_id=filing_id, version=1, decided_by="verification:staff-3",
                      decided_at=clock.iso())
    status.record_step(uow, "provider-test", verified, "onsite_verified", clock(), YEAR)
    assert uow.revisits.stock_plans[filing_id] is not None
    assert uow.filings.timeline(filing_id)[-1].note == "stock filing verified on site (W6)"
    assert [r.state for r in uow.revisits.rows.values()] == ["scheduled"]
