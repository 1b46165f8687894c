"""Precheck judges a person's ID number on the day the filing was submitted, not the day it runs (P2, R1.3): the
kernel's reference date, so a check that runs late gives the verdict intake gave."""
import copy
import uuid

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from precheck.domain import shipped_rulebook
from precheck.models import Case
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases import submission
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_SUBMITTED
from shared.kernel.province_rules import shipped_province_rules
from shared.platform.crypto import CryptoConfig
from shared.testing.clock import Clock
from shared.testing.samples import UNIT_FILING, filing_submitted_data, resident_id

pytestmark = [pytest.mark.integration, pytest.mark.clock]


@pytest.mark.req("P2")
@pytest.mark.req("R1.3")
def test_an_id_is_judged_on_the_day_the_filing_was_submitted(database_factory):
    engine = create_engine(database_factory("precheck"))
    crypto = CryptoConfig.from_config({})
    filing = copy.deepcopy(UNIT_FILING)
    filing["responsible_person"]["document_number"] = resident_id("11010520250928002")  # born 28 September
    with Session(engine, expire_on_commit=False) as session:
        filing_id = str(uuid.uuid4())
        data = filing_submitted_data(crypto.cipher(), crypto.hasher(), filing, filing_id=filing_id,
                                     submitted_at="2025-09-27T10:00:00+08:00")
        envelope = make_envelope(FILING_SUBMITTED, "intake", data, filing_id)
        submission.on_submitted(PrecheckUnitOfWork(session), EVENTS.load(envelope), cipher=crypto.cipher(),
                              hasher=crypto.hasher(), rulebook=shipped_rulebook(),
                              province_rules=shipped_province_rules(), auto_pass=True,
                              now=Clock("2025-09-29T10:00:00+08:00"))
        session.commit()
        case = session.execute(select(Case).where(Case.filing_id == filing_id)).scalar_one()
    engine.dispose()
    assert {(f["field"], f["code"]) for f in case.findings} >= {("responsible_person.document_number", "birth_date")}
