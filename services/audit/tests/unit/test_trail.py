"""The trail's use cases on the in-memory unit of work: every event chained once, a changed entry located, and the
penalty summary following the bureaus' events in whatever order they arrive (P9, C4)."""
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from audit.usecases.trail import record_event, verify_trail
from shared.contracts import EVENTS
from shared.contracts.bureau import PENALTY_ISSUED, RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE
from shared.contracts.envelope import make_envelope

from ..fakes import FakeAuditUnitOfWork

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def _envelope(event_type: str, **data) -> dict:
    contract = EVENTS.get(event_type)
    return make_envelope(event_type, contract.producer, {**contract.sample, **data}, "filing-1")


@pytest.mark.req("P9")
def test_every_event_is_chained_once_and_a_changed_entry_is_named():
    uow = FakeAuditUnitOfWork()
    envelopes = [_envelope(contract.type) for contract in list(EVENTS)[:6]]
    assert [record_event(uow, envelope, NOW) for envelope in envelopes] == [True] * 6
    assert record_event(uow, envelopes[2], NOW) is False  # redelivered
    assert uow.trail.locks == 7
    assert verify_trail(uow) == {"checked": 6, "intact": True, "first_broken": None}
    assert [e.prev_hash for e in uow.trail.entries()][1:] == [e.entry_hash for e in uow.trail.entries()][:-1]

    victim = uow.trail.entries_by_seq[4]
    uow.trail.entries_by_seq[4] = replace(victim, correlation_id="other")
    assert verify_trail(uow)["first_broken"] == {"seq": 4, "event_id": victim.event_id, "problem": "hash_mismatch"}
    del uow.trail.entries_by_seq[4]
    assert verify_trail(uow)["first_broken"]["problem"] == "prev_mismatch"


@pytest.mark.req("C4")
def test_the_penalty_summary_follows_its_events_in_any_order():
    uow = FakeAuditUnitOfWork()
    record_event(uow, _envelope(RECTIFICATION_CLOSED), NOW)  # overtook its penalty on the broker
    record_event(uow, _envelope(PENALTY_ISSUED), NOW)
    record_event(uow, _envelope(PENALTY_ISSUED, penalty_id="p-2", kind="warning"), NOW)
    record_event(uow, _envelope(RECTIFICATION_OVERDUE, penalty_id="p-2"), NOW)
    record_event(uow, _envelope(RECTIFICATION_CLOSED, penalty_id="p-unknown"), NOW)  # never issued: nothing
    assert _followed(uow) == {
        ("京", "rectification_order"): {"closed": True, "overdue": False},
        ("京", "warning"): {"closed": False, "overdue": True}}
    closed = uow.penalties.get(EVENTS.get(PENALTY_ISSUED).sample["penalty_id"]).closed_at
    assert closed == datetime.fromisoformat(EVENTS.get(RECTIFICATION_CLOSED).sample["at"])


def _followed(uow: FakeAuditUnitOfWork) -> dict:
    return {(p.province, p.kind): {"closed": p.closed_at is not None, "overdue": p.overdue_at is not None}
            for p in uow.penalties.penalties.values()}

