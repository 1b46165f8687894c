"""Issue 8, design.md §5: personal data written under an old FIELD_KEYS version stays readable after the switch
to a new one, and the rotation job re-encrypts it, so the old key can go (real PostgreSQL)."""
import base64
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from intake.domain.filing import Scan
from intake.repository import IntakeUnitOfWork
from intake.rotation import SEALED
from intake.usecases import filings
from intake.usecases.filings import Viewer
from shared.platform.crypto import CryptoConfig
from shared.platform.rotation import main, rotate_keys
from shared.testing.samples import RESIDENT_ID, unit_filing

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
K1, K2 = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))


VIEWER = Viewer("provider-test", in_full=True)
READING = {"status": "read", "document": "resident_id",
           "found": {"document_number": {"value": RESIDENT_ID, "confidence": 0.99}}}


def _uow(session: Session, keys: str, current: str) -> IntakeUnitOfWork:
    crypto = CryptoConfig.from_config({"FIELD_KEYS": keys, "FIELD_KEY_CURRENT": current, "ALLOW_DEV_KEYS": "true"})
    return IntakeUnitOfWork(session, crypto.cipher())


def _versions(engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM filing_versions")).scalars().all()
    mobiles = [row["contacts"]["mobile"] for row in rows]
    return {token.split(":", 1)[0] for token in mobiles}


@pytest.mark.req("W4")
@pytest.mark.req("X7")
def test_old_key_data_reads_after_rotation_and_the_job_re_encrypts_it(database_factory, monkeypatch, capsys):
    url = database_factory("intake")
    engine = create_engine(url)
    with Session(engine) as session:
        ids = [filings.create_draft(_uow(session, f"1:{K1}", "1"), VIEWER, "sponsor:x", unit_filing(),
                                    datetime.now(UTC))["id"] for _ in range(3)]
        _uow(session, f"1:{K1}", "1").filings.add_scan(Scan(  # X7: what OCR read of a scan is sealed too
            str(uuid.uuid4()), ids[0], 1, "responsible_person_document", "b", "k", None, "0" * 64, "image/jpeg", 1,
            "sponsor:x", datetime.now(UTC), READING))
        session.commit()
    assert _versions(engine) == {"v1"}

    with Session(engine) as session:  # the new key is current: old rows still read
        uow = _uow(session, f"1:{K1},2:{K2}", "2")
        shown = filings.get_filing(uow, VIEWER, ids[0], datetime.now(UTC))["data"]
        assert shown["responsible_person"]["document_number"] == RESIDENT_ID

    crypto = CryptoConfig.from_config({"FIELD_KEYS": f"1:{K1},2:{K2}", "FIELD_KEY_CURRENT": "2",
                                       "ALLOW_DEV_KEYS": "true"})
    assert rotate_keys(engine, crypto.cipher(), SEALED, batch=2) == {"filing_versions.data": 3,
                                                                     "document_scans.reading": 1}
    assert _versions(engine) == {"v2"}
    assert rotate_keys(engine, crypto.cipher(), SEALED) == {"filing_versions.data": 0,
                                                            "document_scans.reading": 0}  # idempotent

    with Session(engine) as session:  # the old key is gone: everything still reads
        uow = _uow(session, f"2:{K2}", "2")
        for filing_id in ids:
            data = filings.get_filing(uow, VIEWER, filing_id, datetime.now(UTC))["data"]
            assert data["contacts"]["mobile"] == unit_filing()["contacts"]["mobile"]
        assert uow.filings.scans(ids[0])[0].reading == READING

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("INTAKE_DB_URL", url)
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{base64.b64encode(os.urandom(32)).decode()}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["intake", "--config", str(CONFIG)]) == 0
    assert "filing_versions.data: 3 re-encrypted" in capsys.readouterr().out
    assert _versions(engine) == {"v3"}
    engine.dispose()
