"""X7: intake reads an identity document's scan as it arrives only where it is configured to (``READ_SCANS``, on
by default for precheck's rulebook 2026.2): a reading costs about a CPU-second, which a deployment whose rulebook
does not compare scans need not pay. The reading itself: tests/workflow/test_scan_reading.py."""
from collections import OrderedDict

import pytest

from intake import ocr
from intake.dependencies import SettingError, settings_from_config
from intake.usecases import filings
from shared.testing.fakes import InMemoryObjectStore
from shared.testing.samples import png

pytestmark = [pytest.mark.unit, pytest.mark.req("X7")]
READING = {"status": "unreadable", "document": None, "found": {}}
SPONSOR = "sponsor:owner"


def test_scans_are_read_by_default_and_not_when_turned_off():
    config = {"PROVIDER_ID": "provider-test"}
    assert settings_from_config(config).read_scan is ocr.reading_of
    assert settings_from_config({**config, "READ_SCANS": "true"}).read_scan is ocr.reading_of
    assert settings_from_config({**config, "READ_SCANS": "false"}).read_scan is None
    with pytest.raises(SettingError, match="READ_SCANS"):
        settings_from_config({**config, "READ_SCANS": "sometimes"})


def test_an_upload_keeps_a_reading_only_when_intake_reads_scans(uow, viewer, draft, at):
    filing_id = draft(complete=False)
    store = InMemoryObjectStore()
    store.ensure_bucket("scans", object_lock=True)
    read = []

    def reader(kind: str, body: bytes) -> dict:
        read.append(kind)
        return READING

    for kind, reading_by in (("sponsor_document", reader), ("responsible_person_document", None)):
        filings.upload_scan(uow, viewer, store, "scans", SPONSOR, filing_id, kind, png(), at, read=reading_by)
    assert read == ["sponsor_document"]
    assert [(scan.kind, scan.reading) for scan in uow.filings.scans(filing_id)] == [
        ("sponsor_document", READING), ("responsible_person_document", None)]


def test_a_scan_read_before_is_not_read_again_and_reads_the_same(monkeypatch):
    """The same bytes uploaded again (another website of the sponsor, a resubmission) cost no second reading; other
    bytes are read."""
    calls = []

    def counted(data: bytes) -> list:  # the lines of a blank page; the reading itself is the workflow test's
        calls.append(data)
        return []

    monkeypatch.setattr(ocr, "read_scan", counted)
    monkeypatch.setattr(ocr, "_remembered", OrderedDict())
    first, again = (ocr.reading_of("responsible_person_document", png()) for _ in range(2))
    assert first == again and len(calls) == 1
    ocr.reading_of("responsible_person_document", png(9, 8))
    assert len(calls) == 2
    monkeypatch.setattr(ocr, "REMEMBERED", 1)
    ocr.reading_of("responsible_person_document", png(8, 9))
    ocr.reading_of("responsible_person_document", png())  # pushed out by the two since
    assert len(calls) == 4 and len(ocr._remembered) == 1
