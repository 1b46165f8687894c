"""The bureau's clocks with a controlled clock: the review deadline (P8: 20 working days from receipt, more where
the province says so, near and breached events once each) and the rectification deadline (A1)."""
from datetime import date, datetime, timedelta

import pytest

from bureau.usecases import deadlines, oversight, review
from shared.contracts.bureau import (
    PENALTY_ISSUED,
    RECTIFICATION_CLOSED,
    RECTIFICATION_OVERDUE,
    REVIEW_DEADLINE_BREACHED,
    REVIEW_DEADLINE_NEAR,
)
from shared.kernel.workdays import SHANGHAI
from shared.testing.clock import first_unofficial_year, sample_schedule

from .conftest import RECEIVED, REVIEWER

pytestmark = [pytest.mark.unit, pytest.mark.clock]


@pytest.mark.req("P8")
@pytest.mark.parametrize(("province", "days", "deadline"), [
    # 20 working days from 28 Sep 2026 skip the National Day week (1-7 Oct) and count the 10 Oct working Saturday
    ("京", 20, datetime(2026, 10, 31, tzinfo=SHANGHAI)),
    ("浙", 30, datetime(2026, 11, 14, tzinfo=SHANGHAI)),
])
def test_review_deadline_near_and_breached_once_each(uow, keys, at, scope, receive, province, days, deadline):
    filing_id, _ = receive(province=province, review_days=days)
    assert datetime.fromisoformat(review.get_review(uow, filing_id, scope=scope, keys=keys)["deadline"]) == deadline
    at.set(deadline - timedelta(days=2))
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 0
    at.set(deadline - timedelta(hours=1))
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 1
    at.set(deadline + timedelta(minutes=1))
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 1
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 0
    assert [e["filing_id"] for e in uow.outbox.of_type(REVIEW_DEADLINE_NEAR)] == [filing_id]
    assert [datetime.fromisoformat(e["deadline"]) for e in uow.outbox.of_type(REVIEW_DEADLINE_BREACHED)] \
        == [deadline]
    counts = deadlines.open_counts(uow, now=at)
    assert (counts["open"], counts["breached"], counts["provisional"]) == (1, 1, 0)


@pytest.mark.req("A1")
def test_a_rectification_order_goes_overdue_once_and_is_tracked_to_closure(uow, at, scope):
    order = oversight.issue_penalty(uow, {"provider_id": "provider-test", "filing_id": None,
                                          "kind": "rectification_order", "rule": "A1",
                                          "reason": "verified without meeting the responsible person",
                                          "rectify_by": RECEIVED + timedelta(days=30)}, REVIEWER, scope=scope, now=at)
    at.set(RECEIVED + timedelta(days=29))
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 0
    at.set(RECEIVED + timedelta(days=31))
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 1
    assert deadlines.raise_deadline_events(uow, scope=scope, now=at) == 0
    closed = oversight.close_penalty(uow, order["penalty_id"], "department staffed, procedure fixed",
                                     "bureau:京:r-2", scope=scope, now=at)
    assert closed["state"] == "closed" and closed["overdue_since"] is not None
    assert [e["penalty_id"] for e in uow.outbox.of_type(PENALTY_ISSUED)] == [order["penalty_id"]]
    assert len(uow.outbox.of_type(RECTIFICATION_OVERDUE)) == 1 and len(uow.outbox.of_type(RECTIFICATION_CLOSED)) == 1
    assert oversight.compliance(uow, "provider-test", 2026, scope=scope)["rectifications"] == {
        "open": 0, "overdue": 0, "closed": 1}


@pytest.mark.req("P8")
def test_a_review_deadline_in_a_year_without_the_schedule_is_provisional_until_its_notice_is_loaded(
        uow, keys, at, scope, receive):
    """Received on 28 December of the last year with shipped data, the 20 working days reach into a year without
    the State Council's schedule: provisional, counted as such, and recomputed when an administrator loads it."""
    year = first_unofficial_year()
    at.set(datetime(year - 1, 12, 28, 10, tzinfo=SHANGHAI))
    filing_id, _ = receive()
    provisional = review.get_review(uow, filing_id, scope=scope, keys=keys)
    assert provisional["deadline_provisional"] is True
    assert deadlines.open_counts(uow, now=at) == {"open": 1, "breached": 0, "provisional": 1, "official_days_left": 4}

    assert deadlines.load_calendar_year(uow, sample_schedule(year), "bureau:京:ops-1", review_days=20, now=at) == {
        "year": year, "recomputed_deadlines": 1}
    official = review.get_review(uow, filing_id, scope=scope, keys=keys)
    assert official["deadline_provisional"] is False
    assert datetime.fromisoformat(official["deadline"]) > datetime.fromisoformat(provisional["deadline"])
    counts = deadlines.open_counts(uow, now=at)
    assert counts["provisional"] == 0
    assert counts["official_days_left"] == (date(year + 1, 1, 1) - date(year - 1, 12, 28)).days
