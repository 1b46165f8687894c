"""X4: a draft left untouched (the clock set, not waited for) is announced to expire at 30 and 40 days and expires
(cancelled) at 45, after exactly two reminders, each event once; a change draft of an approved filing never
expires this way."""

from datetime import timedelta

import pytest

from intake.usecases import drafts
from shared.contracts.intake import DRAFT_EXPIRED, DRAFT_EXPIRY_ANNOUNCED

from .conftest import PROVIDER

pytestmark = pytest.mark.unit


@pytest.mark.req("X4")
@pytest.mark.clock
def test_a_draft_left_45_days_expires_after_exactly_two_reminders(uow, draft, at, crypto):
    filing_id = draft(complete=False)
    run = [drafts.run_drafts(uow, crypto.cipher(), PROVIDER, at + timedelta(days=d, seconds=s))
           for d, s in ((29, 86399), (30, 0), (30, 60), (39, 0), (40, 0), (44, 86399), (45, 0), (60, 0))]
    assert run == [{"draft_reminded": r, "draft_expired": e} for r, e in
                   ((0, 0), (1, 0), (0, 0), (0, 0), (1, 0), (0, 0), (0, 1), (0, 0))]
    announced = uow.outbox.of_type(DRAFT_EXPIRY_ANNOUNCED)
    assert [e["reminder"] for e in announced] == [1, 2]
    [expired] = uow.outbox.of_type(DRAFT_EXPIRED)
    assert expired["expires_at"] == (at + timedelta(days=45)).isoformat() == announced[0]["expires_at"]
    assert crypto.cipher().decrypt(expired["contacts"]["mobile"], context="event.contacts.mobile") == "13800138000"
    assert "13800138000" not in str(announced + [expired])
    filing = uow.filings.rows[filing_id]
    assert filing.state == "cancelled"
    assert uow.filings.timeline(filing_id)[-1].actor == "intake:timer"


@pytest.mark.req("X4")
@pytest.mark.clock
def test_a_timer_that_was_down_sends_the_missed_reminders_before_expiring(uow, draft, at, crypto):
    draft(complete=False)
    late = at + timedelta(days=50)
    counts = [drafts.run_drafts(uow, crypto.cipher(), PROVIDER, late) for _ in range(3)]
    assert [c["draft_reminded"] for c in counts] == [1, 1, 0] and [c["draft_expired"] for c in counts] == [0, 0, 1]
