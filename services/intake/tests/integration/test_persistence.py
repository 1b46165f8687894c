"""Intake on PostgreSQL and the local S3 server: migrations match the models, personal data is encrypted at
rest and in event bodies, and absent from every log line."""
import json
import random

import pytest
from sqlalchemy import create_engine, text

from intake.models import Base
from shared.contracts.intake import READING_PATHS, SEAL_CONTEXT, personal_paths
from shared.platform.crypto import CryptoConfig
from shared.platform.migrations import differences
from shared.platform.sealing import unseal
from shared.testing.documents import id_card_front, photographed
from shared.testing.samples import RESIDENT_ID

pytestmark = pytest.mark.integration

PERSONAL = [RESIDENT_ID, "13800138000", "zhangsan@example.com.cn", "张三", "北京市海淀区中关村大街1号", "010-62345678"]


def test_migrations_match_models(database_factory):
    assert differences(database_factory("intake"), Base.metadata) == []


def _raw(url: str, sql: str) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    engine.dispose()
    return json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)


@pytest.mark.req("W4")
def test_personal_data_is_encrypted_at_rest_and_on_the_bus(api, complete_draft, intake_config, event_tap):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    envelope = event_tap.drain()[0]

    stored = _raw(intake_config["DB_URL"], "SELECT data FROM filing_versions")
    for value in PERSONAL:
        assert value not in stored
    outbox = _raw(intake_config["DB_URL"], "SELECT envelope FROM outbox")
    bus = json.dumps(envelope, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in outbox and value not in bus

    # The provider's other services hold the same keys and can read the sealed fields.
    cipher = CryptoConfig.from_config(intake_config).cipher()
    opened = unseal(envelope["data"], personal_paths("unit"), cipher, SEAL_CONTEXT)
    assert opened["responsible_person"]["document_number"] == RESIDENT_ID
    assert opened["contacts"]["mobile"] == "13800138000"
    assert opened["contacts"]["office_phone"] == "010-62345678"


@pytest.mark.req("W4")
def test_no_personal_data_in_any_log_line(capsys, api, complete_draft):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    api.patch(f"/filings/{filing_id}", json={"contacts": {"mobile": "13800138000"}})  # 409: logged as a warning
    api.get(f"/filings/{filing_id}")

    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines, "the service logged nothing"
    for line in lines:
        json.loads(line)
        for value in PERSONAL:
            assert value not in line


@pytest.mark.req("X7")
def test_what_ocr_reads_of_a_scan_is_sealed_at_rest_and_on_the_bus(api, complete_draft, intake_config, event_tap):
    """An ID card's scan read as it arrives (the real OCR, off the hub): its reading is stored sealed, never
    answered, and goes to pre-verification sealed for the bus; the provider's services can open it."""
    filing_id = complete_draft()
    card = photographed(id_card_front("张三", RESIDENT_ID, random.Random(3)), random.Random(3))
    upload = api.post(f"/filings/{filing_id}/documents?kind=responsible_person_document", data=card,
                      headers={"Content-Type": "image/jpeg"})
    assert upload.status_code == 201, upload.text
    assert RESIDENT_ID not in upload.text and "reading" not in upload.json()
    api.post(f"/filings/{filing_id}/submit")
    envelope = event_tap.drain()[0]

    stored = _raw(intake_config["DB_URL"], "SELECT reading FROM document_scans")
    bus = json.dumps(envelope, ensure_ascii=False)
    assert RESIDENT_ID not in stored and "张三" not in stored and RESIDENT_ID not in bus and "张三" not in bus
    cipher = CryptoConfig.from_config(intake_config).cipher()
    readings = [d["reading"] for d in envelope["data"]["documents"] if d.get("reading")]
    assert [r["status"] for r in readings] == ["unreadable", "unreadable", "read"]  # two png() stand-ins, the card
    opened = unseal(readings[-1], READING_PATHS, cipher, SEAL_CONTEXT)
    assert opened["document"] == "resident_id"
    assert (opened["found"]["name"]["value"], opened["found"]["document_number"]["value"]) == ("张三", RESIDENT_ID)
