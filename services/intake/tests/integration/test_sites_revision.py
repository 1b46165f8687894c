"""The approved-sites list's first two changes at once on PostgreSQL (issue 17 point 8a, P8): before either
commits, the singleton revision row does not exist, and both must still end as revisions 1 and 2 instead of one
of them failing on the row's primary key (a delivery burnt and redelivered)."""
import eventlet
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from intake.models import Base, SitesRevision, outbox
from intake.repository import IntakeUnitOfWork
from intake.usecases.sites import announce
from shared.platform.crypto import CryptoConfig
from shared.platform.db import make_engine
from shared.testing.system import wait_until

pytestmark = pytest.mark.integration


def _uow(session: Session) -> IntakeUnitOfWork:
    return IntakeUnitOfWork(session, CryptoConfig.from_config({}).cipher())


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one() > 0


@pytest.mark.req("P8")
def test_two_first_changes_at_once_give_revisions_1_and_2(database_factory, clock):
    engine = create_engine(database_factory("intake"))
    with Session(engine) as first, Session(engine) as second:
        announce(_uow(first), "provider-test", ["a.example.cn"], [], "filing-a", clock())

        def change_b():
            announce(_uow(second), "provider-test", ["b.example.cn"], [], "filing-b", clock())
            second.commit()

        racer = eventlet.spawn(change_b)
        # The second change is under way and waits for the first's uncommitted row: the race is on.
        wait_until("the second change to wait on the first", lambda: _waiting_on_a_lock(engine), 10, 0.05)
        first.commit()
        racer.wait()
    with Session(engine) as session:
        assert session.scalar(select(SitesRevision.revision)) == 2
        revisions = sorted(envelope["data"]["revision"] for envelope in session.scalars(select(outbox.c.envelope)))
    engine.dispose()
    assert revisions == [1, 2]


def test_the_embedded_sqlite_database_bumps_the_same_row(clock):
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for domain in ("a.example.cn", "b.example.cn"):
            announce(_uow(session), "provider-test", [domain], [], "filing-a", clock())
            session.commit()
        assert session.execute(select(SitesRevision.id, SitesRevision.revision)).all() == [(1, 2)]
    engine.dispose()
