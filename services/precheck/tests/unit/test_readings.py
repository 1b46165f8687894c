"""X7, pure: what the scans' readings (as intake sends them) give against what was entered; OCR itself is
tests/workflow/test_scan_reading.py's."""
from datetime import date

import pytest

from precheck.readings import compare_scans
from shared.testing.samples import RESIDENT_ID, unit_filing

pytestmark = [pytest.mark.unit, pytest.mark.req("X7")]
TODAY = date(2026, 12, 1)
ORGANISATION_CODE = "12345678-8"


def _read(document: str, **found: str) -> dict:
    return {"status": "read", "document": document,
            "found": {name: {"value": value, "confidence": 0.99} for name, value in found.items()}}


def _scans(data: dict, *readings: tuple[str, dict]) -> dict:
    return {**data, "documents": [{"kind": kind, "reading": reading} for kind, reading in readings]}


def _card(name: str = "张三", number: str = RESIDENT_ID) -> tuple[str, dict]:
    return "responsible_person_document", _read("resident_id", name=name, document_number=number)


def test_a_name_the_card_and_the_licence_both_contradict_is_one_finding():
    data = unit_filing()
    data["responsible_person"]["name"] = "张叁"  # the legal representative, as the licence names them
    sponsor = data["sponsor"]
    licence = _read("business_licence", name=sponsor["name"], document_number=sponsor["document_number"],
                    legal_representative="张三")
    findings = compare_scans(_scans(data, ("sponsor_document", licence), _card()), TODAY)
    assert [(field, code, details["entered"], details["read"]) for field, code, _message, details in findings] == [
        ("responsible_person.name", "scan_differs", "张叁", "张三")]


def test_an_organisation_code_certificate_is_compared_as_one():
    data = unit_filing()
    data["sponsor"].update(document_type="organisation_code_certificate", document_number=ORGANISATION_CODE)
    certificate = _read("organisation_code", name=data["sponsor"]["name"], document_number="123456788",
                        legal_representative="张三")
    assert compare_scans(_scans(data, ("sponsor_document", certificate), _card()), TODAY) == []
    licence = _read("business_licence", name=data["sponsor"]["name"])
    [(field, code, _message, details)] = compare_scans(_scans(data, ("sponsor_document", licence)), TODAY)
    assert (field, code, details["read"]) == ("sponsor.document_type", "scan_other_document", "business_licence")


def test_documents_ocr_has_no_layout_for_give_no_finding():
    """A passport or a legal person certificate: nothing could be read from it, which says nothing about it."""
    data = unit_filing()
    data["sponsor"]["document_type"] = "public_institution_certificate"
    data["responsible_person"].update(document_type="passport", document_number="E12345678")
    unreadable = {"status": "unreadable", "document": None, "found": {}}
    scans = _scans(data, ("sponsor_document", unreadable), ("responsible_person_document", unreadable))
    assert compare_scans(scans, TODAY) == []
    data["responsible_person"].update(document_type="resident_id", document_number=RESIDENT_ID)
    assert [finding[:2] for finding in compare_scans({**scans, **data}, TODAY)] == [
        ("documents.1", "scan_unreadable")]  # an ID card is read: nothing read from it asks for a clearer scan
