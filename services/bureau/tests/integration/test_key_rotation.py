"""Issue 8, design.md §5: the bureau's personal data (each review's filing, of a unit and of an individual, and the
on-site corrections) written under an old FIELD_KEYS version stays readable after the switch to a new one, and the
rotation job re-encrypts it, so the old key can go (real PostgreSQL)."""
import base64
import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bureau import usecases
from bureau.forms import DEV_SEAL_CERT, load_trusted
from bureau.rotation import SEALED
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.provinces import province_by_abbr
from shared.platform.crypto import CryptoConfig
from shared.platform.db import make_engine
from shared.platform.rotation import main, rotate_keys
from shared.testing.samples import individual_filing, unit_filing

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
K1, K2, K3 = (base64.b64encode(os.urandom(32)).decode() for _ in range(3))
TOKEN = re.compile(r'"(v[0-9]+):')


def _cipher(keys: str, current: str):
    config = {"FIELD_KEYS": keys, "FIELD_KEY_CURRENT": current, "ALLOW_DEV_KEYS": "true"}
    return CryptoConfig.from_config(config).cipher()


def _deps(session, keys: str, current: str, crypto, object_store) -> usecases.Deps:
    return usecases.Deps(session=session, cipher=_cipher(keys, current), exchange=crypto.exchange(),
                         store=object_store, province=province_by_abbr("京"), review_working_days=20,
                         trusted_seals=load_trusted([str(DEV_SEAL_CERT)]), evidence_link_seconds=300,
                         now=lambda: datetime.now(UTC))


def _versions(engine) -> set[str]:
    """The key version of every token the bureau stores (filings and corrections)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT filing, corrections FROM reviews")).all()
    return set(TOKEN.findall(json.dumps([list(row) for row in rows])))


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_old_key_data_reads_after_rotation_and_the_job_re_encrypts_it(database_factory, crypto, object_store,
                                                                     evidence, make_filing_data, monkeypatch,
                                                                     capsys):
    url = database_factory("bureau")
    engine = make_engine(url)
    exchange = crypto.exchange()
    ids = []
    with Session(engine, expire_on_commit=False) as session:
        deps = _deps(session, f"1:{K1}", "1", crypto, object_store)
        for filing in (unit_filing(), individual_filing()):
            filing_id = str(uuid.uuid4())
            raw = make_filing_data(evidence, filing_id=filing_id, filing=filing)
            raw["corrections"] = [{"field": "contacts.mobile", "by": "verifier-1", "at": "2026-11-10T09:50:00+08:00",
                                   **{side: exchange.encrypt(mobile, context="exchange.correction")
                                      for side, mobile in (("before", "13800138001"), ("after", "13800138000"))}}]
            envelope = make_envelope(FILING_SENT_TO_BUREAU, "verification", raw, filing_id)
            usecases.on_sent_to_bureau(deps, EVENTS.load(envelope))
            ids.append(filing_id)
        session.commit()
    assert _versions(engine) == {"v1"}

    with Session(engine, expire_on_commit=False) as session:  # the new key is current: old reviews still read
        deps = _deps(session, f"1:{K1},2:{K2}", "2", crypto, object_store)
        masked = [usecases.get_review(deps, filing_id)["filing"] for filing_id in ids]
        assert usecases.approve(deps, ids[0], "bureau:京:reviewer-1")["state"] == "approved"
        session.commit()

    cipher = _cipher(f"1:{K1},2:{K2}", "2")
    assert rotate_keys(engine, cipher, SEALED, batch=1) == {"reviews.filing": 2, "reviews.corrections": 2}
    assert _versions(engine) == {"v2"}
    assert set(rotate_keys(engine, cipher, SEALED).values()) == {0}  # idempotent

    with Session(engine, expire_on_commit=False) as session:  # the old key is gone: everything still reads
        deps = _deps(session, f"2:{K2}", "2", crypto, object_store)
        assert [usecases.get_review(deps, filing_id)["filing"] for filing_id in ids] == masked
        assert usecases.approve(deps, ids[1], "bureau:京:reviewer-1")["state"] == "approved"
        corrections = session.execute(text("SELECT corrections FROM reviews")).scalars().all()
        assert {deps.cipher.decrypt(c[0]["before"], context=usecases.CORRECTION_CONTEXT) for c in corrections} \
            == {"13800138001"}
        session.commit()

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("BUREAU_DB_URL", url)
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{K3}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["bureau", "--config", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "reviews.filing: 2 re-encrypted" in out and "reviews.corrections: 2 re-encrypted" in out
    assert _versions(engine) == {"v3"}
    engine.dispose()
