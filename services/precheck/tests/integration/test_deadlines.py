"""Deadlines on PostgreSQL with a controlled clock: 5 working days (P2), near and breached raised once,
provisional deadlines recomputed when an administrator loads the year's schedule; migrations match models."""
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from precheck.domain import shipped_rulebook
from precheck.models import Base, Case, outbox
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases import deadlines, submission
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_SUBMITTED
from shared.kernel.province_rules import shipped_province_rules
from shared.platform.crypto import CryptoConfig
from shared.platform.migrations import differences
from shared.testing.clock import Clock, first_unofficial_year, sample_schedule
from shared.testing.samples import filing_submitted_data

pytestmark = [pytest.mark.integration, pytest.mark.clock]

@pytest.fixture
def world(database_factory):
    engine = create_engine(database_factory("precheck"))
    session = Session(engine, expire_on_commit=False)
    crypto = CryptoConfig.from_config({})
    clock = Clock("2025-09-29T10:00:00+08:00")
    yield PrecheckUnitOfWork(session), clock, crypto
    session.close()
    engine.dispose()


def _submit(uow, crypto, clock, submitted_at: str) -> str:
    filing_id = str(uuid.uuid4())
    data = filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id, submitted_at=submitted_at)
    envelope = make_envelope(FILING_SUBMITTED, "intake", data, filing_id)
    submission.on_submitted(uow, EVENTS.load(envelope), cipher=crypto.cipher(), hasher=crypto.hasher(),
                          rulebook=shipped_rulebook(), province_rules=shipped_province_rules(),
                          auto_pass=True, now=clock)
    uow.commit()
    return filing_id


def _deadline_events(uow) -> list[str]:
    rows = uow.session.execute(select(outbox.c.event_type).order_by(outbox.c.created_at)).scalars()
    return [t for t in rows if "deadline" in t]


def test_migrations_match_models(database_factory):
    assert differences(database_factory("precheck"), Base.metadata) == []


@pytest.mark.req("P2")
def test_deadline_spans_national_day_and_near_and_breached_fire_once(world):
    uow, clock, crypto = world
    filing_id = _submit(uow, crypto, clock, "2025-09-29T10:00:00+08:00")
    case = uow.session.execute(select(Case).where(Case.filing_id == filing_id)).scalar_one()
    # Working days after Mon 29 Sep 2025: 30 Sep, (1–8 Oct off), 9 Oct, 10 Oct, Sat 11 Oct (adjusted), 13 Oct.
    assert case.deadline_at == datetime.fromisoformat("2025-10-14T00:00:00+08:00")
    assert case.deadline_provisional is False

    for now, expected in [
        ("2025-10-10T12:00:00+08:00", []),
        ("2025-10-13T00:00:01+08:00", ["precheck_deadline_near.v1"]),
        ("2025-10-13T18:00:00+08:00", ["precheck_deadline_near.v1"]),
        ("2025-10-14T00:00:00+08:00", ["precheck_deadline_near.v1", "precheck_deadline_breached.v1"]),
        ("2025-10-20T09:00:00+08:00", ["precheck_deadline_near.v1", "precheck_deadline_breached.v1"]),
    ]:
        clock.at = datetime.fromisoformat(now)
        deadlines.raise_deadline_events(uow, clock)
        uow.session.commit()
        assert _deadline_events(uow) == expected, now


@pytest.mark.req("P2")
def test_provisional_deadline_is_recomputed_when_the_year_is_loaded(world):
    uow, clock, crypto = world
    year = first_unofficial_year()
    clock.set(f"{year - 1}-12-28T10:00:00+08:00")
    filing_id = _submit(uow, crypto, clock, f"{year - 1}-12-28T10:00:00+08:00")
    case = uow.session.execute(select(Case).where(Case.filing_id == filing_id)).scalar_one()
    assert case.deadline_provisional is True and year in case.deadline_years
    provisional = case.deadline_at
    assert deadlines.open_deadlines(uow, clock)["provisional"] == 1

    result = deadlines.load_calendar_year(uow, sample_schedule(year), "admin:ops-1", clock)
    uow.session.commit()

    assert result == {"year": year, "recomputed_deadlines": 1}
    uow.session.refresh(case)
    assert case.deadline_provisional is False
    assert case.deadline_at > provisional
    assert deadlines.open_deadlines(uow, clock)["provisional"] == 0
    again = deadlines.load_calendar_year(uow, {**sample_schedule(year), "source": "corrected"}, "admin:ops-2", clock)
    assert again == {"year": year, "recomputed_deadlines": 1}  # a corrected notice replaces the year's
