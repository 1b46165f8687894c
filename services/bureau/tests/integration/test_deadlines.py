"""The bureau's clocks on PostgreSQL with a controlled clock: the review deadline (P8: 20 working days from receipt,
more where the province says so, near and breached events once each) and the rectification deadline (A1)."""
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bureau import usecases
from bureau.forms import DEV_SEAL_CERT, load_trusted
from bureau.models import outbox
from shared.contracts import EVENTS
from shared.contracts.bureau import (
    PENALTY_ISSUED,
    RECTIFICATION_CLOSED,
    RECTIFICATION_OVERDUE,
    REVIEW_DEADLINE_BREACHED,
    REVIEW_DEADLINE_NEAR,
)
from shared.contracts.envelope import make_envelope
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.provinces import province_by_abbr
from shared.kernel.workdays import SHANGHAI
from shared.platform.db import make_engine
from shared.testing.clock import Clock, first_unofficial_year, sample_schedule

pytestmark = [pytest.mark.integration, pytest.mark.clock]

RECEIVED = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)  # a Monday before the National Day holiday


@pytest.fixture
def session(database_factory):
    engine = make_engine(database_factory("bureau"))
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def deps(session, crypto, object_store, clock, province="京", days=20):
    return usecases.Deps(session=session, cipher=crypto.cipher(), exchange=crypto.exchange(), store=object_store,
                         province=province_by_abbr(province), review_working_days=days,
                         trusted_seals=load_trusted([str(DEV_SEAL_CERT)]), evidence_link_seconds=300, now=clock)


def emitted(session, event_type):
    rows = session.execute(select(outbox.c.envelope).where(outbox.c.event_type == event_type)).scalars()
    return [r["data"] for r in rows]


@pytest.mark.req("P8")
@pytest.mark.parametrize(("province", "days", "deadline"), [
    # 20 working days from 28 Sep 2026 skip the National Day week (1-7 Oct) and count the 10 Oct working Saturday
    ("京", 20, datetime(2026, 10, 31, tzinfo=SHANGHAI)),
    ("浙", 30, datetime(2026, 11, 14, tzinfo=SHANGHAI)),
])
def test_review_deadline_near_and_breached_once_each(session, crypto, object_store, evidence, make_filing_data,
                                                     province, days, deadline):
    clock = Clock(RECEIVED)
    d = deps(session, crypto, object_store, clock, province, days)
    filing_id = str(uuid.uuid4())
    raw = make_filing_data(evidence, filing_id=filing_id, province=province)
    envelope = make_envelope(FILING_SENT_TO_BUREAU, "verification", raw, filing_id)
    usecases.on_sent_to_bureau(d, EVENTS.load(envelope))  # as the handler reads it
    session.commit()
    review = usecases.get_review(d, filing_id)
    assert datetime.fromisoformat(review["deadline"]) == deadline
    clock.set(deadline - timedelta(days=2))
    assert usecases.raise_deadline_events(d) == 0
    clock.set(deadline - timedelta(hours=1))
    assert usecases.raise_deadline_events(d) == 1
    clock.set(deadline + timedelta(minutes=1))
    assert usecases.raise_deadline_events(d) == 1
    assert usecases.raise_deadline_events(d) == 0
    session.commit()
    assert [e["filing_id"] for e in emitted(session, REVIEW_DEADLINE_NEAR)] == [filing_id]
    assert [datetime.fromisoformat(e["deadline"]) for e in emitted(session, REVIEW_DEADLINE_BREACHED)] == [deadline]
    counts = usecases.open_counts(d)
    assert (counts["open"], counts["breached"], counts["provisional"]) == (1, 1, 0)


@pytest.mark.req("A1")
def test_a_rectification_order_goes_overdue_once_and_is_tracked_to_closure(session, crypto, object_store):
    clock = Clock(RECEIVED)
    d = deps(session, crypto, object_store, clock)
    order = usecases.issue_penalty(d, {"provider_id": "provider-test", "filing_id": None, "kind": "rectification_order",
                                       "reason": "verified without meeting the responsible person", "rule": "A1",
                                       "rectify_by": RECEIVED + timedelta(days=30)}, "bureau:京:reviewer-1")
    session.commit()
    clock.set(RECEIVED + timedelta(days=29))
    assert usecases.raise_deadline_events(d) == 0
    clock.set(RECEIVED + timedelta(days=31))
    assert usecases.raise_deadline_events(d) == 1
    assert usecases.raise_deadline_events(d) == 0
    closed = usecases.close_penalty(d, order["penalty_id"], "department staffed, procedure fixed", "bureau:京:r-2")
    session.commit()
    assert closed["state"] == "closed" and closed["overdue_since"] is not None
    assert [e["penalty_id"] for e in emitted(session, PENALTY_ISSUED)] == [order["penalty_id"]]
    assert len(emitted(session, RECTIFICATION_OVERDUE)) == 1 and len(emitted(session, RECTIFICATION_CLOSED)) == 1
    assert usecases.compliance(d, "provider-test", 2026)["rectifications"] == {"open": 0, "overdue": 0, "closed": 1}


@pytest.mark.req("P8")
def test_a_review_deadline_in_a_year_without_the_schedule_is_provisional_until_its_notice_is_loaded(
        session, crypto, object_store, evidence, make_filing_data):
    """Received on 28 December of the last year with shipped data, the 20 working days reach into a year without
    the State Council's schedule: provisional, counted as such, and recomputed when an administrator loads it."""
    year = first_unofficial_year()
    clock = Clock(datetime(year - 1, 12, 28, 10, tzinfo=SHANGHAI))
    d = deps(session, crypto, object_store, clock)
    filing_id = str(uuid.uuid4())
    envelope = make_envelope(FILING_SENT_TO_BUREAU, "verification", make_filing_data(evidence, filing_id=filing_id),
                             filing_id)
    usecases.on_sent_to_bureau(d, EVENTS.load(envelope))
    session.commit()
    provisional = usecases.get_review(d, filing_id)
    assert provisional["deadline_provisional"] is True
    assert usecases.open_counts(d) == {"open": 1, "breached": 0, "provisional": 1, "official_days_left": 4}

    assert usecases.load_calendar_year(d, sample_schedule(year), "bureau:京:ops-1") == {
        "year": year, "recomputed_deadlines": 1}
    session.commit()
    official = usecases.get_review(d, filing_id)
    assert official["deadline_provisional"] is False
    assert datetime.fromisoformat(official["deadline"]) > datetime.fromisoformat(provisional["deadline"])
    assert usecases.open_counts(d)["provisional"] == 0
    assert usecases.open_counts(d)["official_days_left"] == (date(year + 1, 1, 1) - date(year - 1, 12, 28)).days
