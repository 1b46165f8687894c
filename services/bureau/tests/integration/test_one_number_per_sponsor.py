"""X1 and X9 on PostgreSQL: approvals of one unit's filings at the same moment, in separate transactions on real OS
threads, end with one sponsor number and one website number each (without the sponsor lock they would both find no
number and the second insert would break the unique index); and the public query's counts are one state for every
replica (two engines stand for two replicas)."""
import uuid
from datetime import datetime

import eventlet
import pytest
from sqlalchemy.orm import Session

from bureau.forms import FormCheck
from bureau.repository import BureauUnitOfWork
from bureau.usecases import public, receipt, review
from bureau.usecases.common import Keys, Scope
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.filing_numbers import parse_filing_number
from shared.kernel.provinces import province_by_abbr
from shared.kernel.workdays import SHANGHAI
from shared.platform.db import make_engine
from shared.testing.samples import unit_filing

from ..conftest import filing_sent_data

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 10, 10, tzinfo=SHANGHAI)
AT_ONCE = 8
SCOPE = Scope(province_by_abbr("京"))


def valid_form(_ref):
    return FormCheck(True, "CN=provider-demo (DEVELOPMENT)", [])


def receive(engine, keys, filing_id, domain):
    filing = unit_filing()  # the same unit every time: the same credit code
    filing["websites"][0]["domains"] = [domain]
    evidence = {k: {"bucket": "b", "key": k, "sha256": "0" * 64, "content_type": "application/pdf", "size": 1,
                    "version_id": None} for k in ("form_provider_copy", "form_bureau_copy", "photo",
                                                  "security_agreement")}
    data = filing_sent_data(keys.exchange, {**evidence, "document_copies": [], "domain_lookups": []},
                            filing_id=filing_id, filing=filing)
    read = EVENTS.load(make_envelope(FILING_SENT_TO_BUREAU, "verification", data, filing_id))
    with Session(engine) as session:
        receipt.on_sent_to_bureau(BureauUnitOfWork(session), read, scope=SCOPE, keys=keys, check_form=valid_form,
                                  review_days=20, now=lambda: AT)
        session.commit()


def approve(engine, keys, filing_id):
    with Session(engine) as session:
        answer = review.approve(BureauUnitOfWork(session), filing_id, "bureau:京:reviewer-1", scope=SCOPE, keys=keys,
                                now=lambda: AT)
        session.commit()
        return answer["filing_number"]


@pytest.mark.req("X1")
def test_filings_of_one_unit_approved_at_once_get_one_sponsor_number(database_factory, crypto):
    keys = Keys(crypto.cipher(), crypto.exchange(), crypto.exchange_lookup())
    engine = make_engine(database_factory("bureau"), pool_size=AT_ONCE + 2)
    filings = [str(uuid.uuid4()) for _ in range(AT_ONCE)]
    for i, filing_id in enumerate(filings):
        receive(engine, keys, filing_id, f"site{i}.example.cn")
    # each approval in a green thread of its own, with its own connection: psycopg2 waits green (eventlet's monkey
    # patch), so one waiting on PostgreSQL's lock lets the others run. (OS threads through tpool hung once in a
    # loaded run: each waited in its own hub for an answer PostgreSQL had already sent.)
    numbers = list(eventlet.GreenPool().imap(lambda f: approve(engine, keys, f), filings))
    assert len(set(numbers)) == 1, numbers
    number = numbers[0]
    assert parse_filing_number(number).serial == 1
    with Session(engine) as session:
        uow = BureauUnitOfWork(session)
        sites = sorted(parse_filing_number(w.website_number).site for w in uow.websites.active_of(number))
        assert sites == list(range(1, AT_ONCE + 1)), "one -k per website, none twice"
        assert uow.numbers.next_serial("京", 2026) == 2, "one serial was taken"
        session.rollback()
    engine.dispose()


@pytest.mark.req("X9")
def test_the_query_counts_are_shared_by_every_replica(database_factory, crypto):
    url = database_factory("bureau")
    replicas = [make_engine(url), make_engine(url)]
    hasher = crypto.hasher()
    for i in range(30):
        with Session(replicas[i % 2]) as session:
            public.count_query(BureauUnitOfWork(session), hasher, "203.0.113.7", 30, AT)
            session.commit()
    with Session(replicas[1]) as session, pytest.raises(public.QueryLimitReached) as refused:
        public.count_query(BureauUnitOfWork(session), hasher, "203.0.113.7", 30, AT)
    assert refused.value.retry_after == 60
    with Session(replicas[0]) as session:
        public.count_query(BureauUnitOfWork(session), hasher, "198.51.100.9", 30, AT)
        public.forget_counts(BureauUnitOfWork(session), AT.replace(hour=11))
        session.commit()
    for engine in replicas:
        engine.dispose()
