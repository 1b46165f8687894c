"""What the bureau keeps of a received filing (B1, design.md §5, ADR 0001): personal fields and on-site corrections
re-sealed with the bureau's own keys, never stored as the exchange ring's tokens; reviewers see masked values and
which fields were corrected."""
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bureau import usecases
from bureau.forms import DEV_SEAL_CERT, load_trusted
from bureau.models import Review
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.provinces import province_by_abbr
from shared.platform.db import make_engine

pytestmark = pytest.mark.integration


@pytest.mark.req("B1")
def test_personal_data_and_corrections_are_resealed_with_the_bureaus_keys(database_factory, crypto, object_store,
                                                                          evidence, make_filing_data):
    engine = make_engine(database_factory("bureau"))
    exchange, cipher = crypto.exchange(), crypto.cipher()
    filing_id = str(uuid.uuid4())
    raw = make_filing_data(evidence, filing_id=filing_id)
    before = exchange.encrypt("13800138001", context="exchange.correction")
    raw["corrections"] = [{"field": "contacts.mobile", "before": before,
                           "after": exchange.encrypt("13800138000", context="exchange.correction"),
                           "by": "verifier-1", "at": "2026-11-10T09:50:00+08:00"}]
    envelope = make_envelope(FILING_SENT_TO_BUREAU, "verification", raw, filing_id)
    with Session(engine, expire_on_commit=False) as session:
        deps = usecases.Deps(session=session, cipher=cipher, exchange=exchange, store=object_store,
                             province=province_by_abbr("京"), review_working_days=20,
                             trusted_seals=load_trusted([str(DEV_SEAL_CERT)]), evidence_link_seconds=300,
                             now=lambda: datetime.now(UTC))
        usecases.on_sent_to_bureau(deps, EVENTS.load(envelope))
        session.commit()
        review = session.execute(select(Review).where(Review.filing_id == filing_id)).scalar_one()
        stored = json.dumps([review.filing, review.corrections], ensure_ascii=False)
        for token in (before, raw["filing"]["contacts"]["mobile"], raw["filing"]["responsible_person"]["name"]):
            assert token not in stored
        for plain in ("13800138000", "13800138001", "张三", "11010519491231002X"):
            assert plain not in stored
        assert cipher.decrypt(review.corrections[0]["before"], context="bureau.correction") == "13800138001"
        assert cipher.decrypt(review.filing["contacts"]["mobile"], context="bureau.filing.contacts.mobile") \
            == "13800138000"
        view = usecases.get_review(deps, filing_id)
        assert view["corrections"] == [{"field": "contacts.mobile", "by": "verifier-1",
                                        "at": "2026-11-10T09:50:00+08:00"}]
        assert view["filing"]["contacts"]["mobile"] != "13800138000"
    engine.dispose()
