"""X7 end to end without a broker: generated scans (the CJK font, rotated, blurred, JPEG) read by intake's OCR as
an upload reads them, sealed into ``filing_submitted.v1`` as intake seals them, and compared by precheck's
default rulebook (2026.2) on its in-memory unit of work: the scans the journey and ``bin/demo`` upload give no
finding; a scan that disagrees with the entered ID number is exactly one finding naming that field, with what was
entered and read (masked) and the confidence; an unreadable scan asks for a clearer one; staff see both on the case
in the queue; nothing is decided by OCR."""

import random
from datetime import date

import eventlet
import pytest

from intake import ocr
from precheck.domain import CaseState, shipped_rulebook
from precheck.usecases import staff, submission
from services.precheck.tests.fakes import FakePrecheckUnitOfWork
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_SUBMITTED, READING_PATHS, SEAL_CONTEXT
from shared.kernel.province_rules import shipped_province_rules
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal
from shared.testing.clock import Clock
from shared.testing.documents import business_licence, id_card_front, photographed, resident_id_number, scans_of
from shared.testing.samples import RESIDENT_ID, filing_submitted_data, png, unit_filing

pytestmark = [pytest.mark.unit, pytest.mark.req("X7")]
SUBMITTED_AT = "2026-11-02T09:30:00+08:00"
FILING = "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10"


@pytest.fixture(scope="module")
def crypto():
    return CryptoConfig.from_config({})


def _submitted(crypto, data: dict, scans: list[tuple[str, bytes]]) -> dict:
    payload = filing_submitted_data(crypto.cipher(), crypto.hasher(), data, filing_id=FILING,
                                    submitted_at=SUBMITTED_AT)
    payload["documents"] = [{"kind": kind, "object": {"bucket": "b", "key": f"k{i}", "sha256": "0" * 64,
                                                      "content_type": "image/jpeg", "size": len(body)},
                             "reading": seal(ocr.reading_of(kind, body), READING_PATHS, crypto.cipher(),
                                             SEAL_CONTEXT)}
                            for i, (kind, body) in enumerate(scans)]
    return EVENTS.load(make_envelope(FILING_SUBMITTED, "intake", payload, FILING))


def _checked(crypto, data, scans) -> FakePrecheckUnitOfWork:
    uow = FakePrecheckUnitOfWork()
    submission.on_submitted(uow, _submitted(crypto, data, scans), cipher=crypto.cipher(), hasher=crypto.hasher(),
                            rulebook=shipped_rulebook(), province_rules=shipped_province_rules(),
                            auto_pass=True, now=Clock(SUBMITTED_AT))
    return uow


def _licence(data: dict, rng) -> bytes:
    sponsor = data["sponsor"]
    return photographed(business_licence(sponsor["name"], sponsor["document_number"],
                                         data["responsible_person"]["name"]), rng)


def test_a_scan_that_disagrees_with_the_entered_id_number_is_one_finding_naming_it(crypto):
    rng = random.Random(7)
    data = unit_filing()
    other_number = resident_id_number(rng, date(1985, 3, 12))
    assert other_number != RESIDENT_ID
    card = photographed(id_card_front(data["responsible_person"]["name"], other_number, rng), rng)

    uow = _checked(crypto, data, [("sponsor_document", _licence(data, rng)), ("responsible_person_document", card)])

    [case] = uow.cases.rows
    ocr_findings = [f for f in case.findings if f["rule"].startswith("PC-OCR-1")]
    assert len(ocr_findings) == 1, ocr_findings
    [finding] = ocr_findings
    assert (finding["field"], finding["code"], finding["requirement"], finding["severity"]) == (
        "responsible_person.document_number", "scan_differs", "X7", "review")
    details = finding["details"]
    assert details["entered"] == RESIDENT_ID[:6] + "********" + RESIDENT_ID[-4:]  # masked (design.md §5)
    assert details["read"] == other_number[:6] + "********" + other_number[-4:]
    assert 0.5 < details["confidence"] <= 1
    assert RESIDENT_ID not in str(case.findings) and other_number not in str(case.findings)
    # nothing is decided by OCR: the case waits for its contacts, then for staff, who see the finding
    assert case.state == CaseState.AWAITING_CONTACTS


def test_scans_that_agree_give_no_finding_and_an_unreadable_scan_asks_for_a_clearer_one(crypto):
    data = unit_filing()
    scans = scans_of(data)  # what the journey (tests/system, bin/demo, the benches) uploads for the unit sample
    card = scans["responsible_person_document"]

    agreeing = _checked(crypto, data, list(scans.items()))
    [case] = agreeing.cases.rows
    assert (case.rulebook_version, case.findings) == ("2026.2", [])

    unreadable = _checked(crypto, data, [("sponsor_document", png()), ("responsible_person_document", card)])
    [case] = unreadable.cases.rows
    assert [(f["field"], f["code"]) for f in case.findings if f["rule"].startswith("PC-OCR-1")] == [
        ("documents.0", "scan_unreadable")]
    case.state = CaseState.NEEDS_REVIEW  # its contacts confirmed: staff's queue shows the finding
    [queued] = staff.work_queue(unreadable)
    assert any(f["code"] == "scan_unreadable" for f in queued["findings"])


def test_scans_uploaded_at_once_are_all_read():
    """The reads run on eventlet's tpool (OS threads) one at a time behind the model's lock: uploads arriving
    together each get their reading (a green lock there hung every upload after the first)."""
    rng = random.Random(7)
    born = date(1990, 5, 17)
    scans = [photographed(id_card_front("张三", resident_id_number(rng, born), rng), rng) for _ in range(3)]
    pool = eventlet.GreenPool()
    with eventlet.Timeout(60):
        readings = list(pool.imap(lambda scan: ocr.reading_of("responsible_person_document", scan), scans))
    assert [reading["found"]["name"]["value"] for reading in readings] == ["张三"] * 3
