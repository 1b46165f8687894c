"""The automatic ID check of an approved filing on the in-memory unit of work (P9): the stock keeps the filing with
the ID number sealed; a document or public-security failure raises exactly one finding; an unavailable source is
neither a pass nor a finding."""
from datetime import UTC, datetime

import pytest

from audit.checks import open_id
from audit.domain import ID_CHECK, shipped_rules
from audit.usecases.findings import raise_finding
from audit.usecases.id_check import on_filing_approved
from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.platform.authority import AuthorityAnswer, Outcome, sandbox_authorities
from shared.platform.crypto import CryptoConfig, PersonalDataTools
from shared.testing.approvals import approved_data
from shared.testing.samples import RESIDENT_ID, resident_id

from ..fakes import FakeAuditUnitOfWork

pytestmark = pytest.mark.unit

CRYPTO = CryptoConfig.from_config({})
KEYS = PersonalDataTools(cipher=CRYPTO.cipher(), hasher=CRYPTO.hasher(), exchange=CRYPTO.exchange())
RULES = shipped_rules("2026.1")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
UNKNOWN_ID = resident_id("11010519800101001")
KNOWN = sandbox_authorities({"people": {RESIDENT_ID: {"name": "张三", "status": "valid"}}}).public_security


class Unavailable:
    def verify_person(self, name: str, id_number: str) -> AuthorityAnswer:
        return AuthorityAnswer("public_security", Outcome.UNAVAILABLE)


def _check(uow, person: dict, public_security=KNOWN) -> dict:
    return on_filing_approved(uow, approved_data(CRYPTO, person=person), keys=KEYS, public_security=public_security,
                              rules=RULES, now=NOW)


@pytest.mark.req("P9")
def test_a_known_id_passes_and_the_stock_keeps_it_sealed():
    uow = FakeAuditUnitOfWork()
    result = _check(uow, {"document_number": RESIDENT_ID, "name": "张三"})
    assert (result["outcome"], result["reasons"], result["rules_version"]) == ("pass", [], "2026.1")
    (stored,) = uow.stock.filings.values()
    assert open_id(KEYS.cipher, stored.id_key_version, stored.id_sealed) == RESIDENT_ID
    assert RESIDENT_ID not in str(stored) and "张三" not in str(stored)
    assert [(r.check, r.outcome, r.rules_version) for r in uow.checks.results] == [(ID_CHECK, "pass", "2026.1")]
    assert uow.outbox.envelopes == []


@pytest.mark.req("P9")
def test_an_id_public_security_does_not_know_raises_one_finding():
    uow = FakeAuditUnitOfWork()
    result = _check(uow, {"document_number": UNKNOWN_ID, "name": "赵六"})
    assert result["outcome"] == "fail" and result["reasons"][0]["code"] == "authority_not_found"
    (finding,) = uow.outbox.of_type(AUDIT_FINDING_RAISED)
    assert (finding["check"], finding["rules_version"], finding["reasons"]) == (ID_CHECK, "2026.1", result["reasons"])
    assert UNKNOWN_ID not in str(uow.outbox.envelopes)
    stock = uow.stock.get(1)
    assert raise_finding(uow, stock, ID_CHECK, result["reasons"], "2026.1", NOW) is False  # once per rules version
    assert raise_finding(uow, stock, ID_CHECK, result["reasons"], "2027.1", NOW) is True
    assert uow.checks.results[0].codes == "authority_not_found"


@pytest.mark.req("P9")
def test_an_invalid_document_fails_without_asking_public_security():
    class Refuses:
        def verify_person(self, name, id_number):
            raise AssertionError("not asked")

    uow = FakeAuditUnitOfWork()
    result = _check(uow, {"document_number": RESIDENT_ID[:-1] + "1"}, Refuses())
    assert result["outcome"] == "fail" and result["reasons"][0]["code"] == "check_digit"
    assert result["reasons"][0]["field"] == "responsible_person.document_number"
    assert len(uow.outbox.of_type(AUDIT_FINDING_RAISED)) == 1


@pytest.mark.req("P9")
def test_an_unavailable_source_is_neither_a_pass_nor_a_finding():
    uow = FakeAuditUnitOfWork()
    assert _check(uow, {"document_number": RESIDENT_ID, "name": "张三"}, Unavailable())["outcome"] == "unavailable"
    assert uow.checks.results[0].outcome == "unavailable" and uow.outbox.envelopes == []
