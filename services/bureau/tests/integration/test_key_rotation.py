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

from bureau.forms import DEV_SEAL_CERT, load_trusted
from bureau.repository import BureauUnitOfWork
from bureau.rotation import SEALED
from bureau.usecases import receipt, review
from bureau.usecases.common import CORRECTION_CONTEXT, Keys, Scope
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


BEIJING = Scope(province_by_abbr("京"))


def _now() -> datetime:
    return datetime.now(UTC)


def _keys(keys: str, current: str, crypto) -> Keys:
    return Keys(_cipher(keys, current), crypto.exchange(), crypto.exchange_lookup())


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
        uow, keys = BureauUnitOfWork(session), _keys(f"1:{K1}", "1", crypto)
        check_form = receipt.FormChecker(object_store, load_trusted([str(DEV_SEAL_CERT)]))
        for filing in (unit_filing(), individual_filing()):
            filing_id = str(uuid.uuid4())
            raw = make_filing_data(evidence, filing_id=filing_id, filing=filing)
            raw["corrections"] = [{"field": "contacts.mobile", "by": "verifier-1", "at": "2026-11-10T09:50:00+08:00",
                                   **{side: exchange.encrypt(mobile, context="exchange.correction")
                                      for side, mobile in (("before", "13800138001"), ("after", "13800138000"))}}]
            envelope = make_envelope(FILING_SENT_TO_BUREAU, "verification", raw, filing_id)
            receipt.on_sent_to_bureau(uow, EVENTS.load(envelope), scope=BEIJING, keys=keys, check_form=check_form,
                                      review_days=20, now=_now)
            ids.append(filing_id)
        uow.commit()
    assert _versions(engine) == {"v1"}

    with Session(engine, expire_on_commit=False) as session:  # the new key is current: old reviews still read
        uow, keys = BureauUnitOfWork(session), _keys(f"1:{K1},2:{K2}", "2", crypto)
        masked = [review.get_review(uow, filing_id, scope=BEIJING, keys=keys)["filing"] for filing_id in ids]
        approved = review.approve(uow, ids[0], "bureau:京:reviewer-1", scope=BEIJING, keys=keys, now=_now)
        assert approved["state"] == "approved"
        uow.commit()

    cipher = _cipher(f"1:{K1},2:{K2}", "2")
    assert rotate_keys(engine, cipher, SEALED, batch=1) == {"reviews.filing": 2, "reviews.corrections": 2}
    assert _versions(engine) == {"v2"}
    assert set(rotate_keys(engine, cipher, SEALED).values()) == {0}  # idempotent

    with Session(engine, expire_on_commit=False) as session:  # the old key is gone: everything still reads
        uow, keys = BureauUnitOfWork(session), _keys(f"2:{K2}", "2", crypto)
        assert [review.get_review(uow, filing_id, scope=BEIJING, keys=keys)["filing"] for filing_id in ids] == masked
        approved = review.approve(uow, ids[1], "bureau:京:reviewer-1", scope=BEIJING, keys=keys, now=_now)
        assert approved["state"] == "approved"
        corrections = session.execute(text("SELECT corrections FROM reviews")).scalars().all()
        assert {keys.cipher.decrypt(c[0]["before"], context=CORRECTION_CONTEXT) for c in corrections} \
            == {"13800138001"}
        uow.commit()

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("BUREAU_DB_URL", url)
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{K3}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["bureau", "--config", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "reviews.filing: 2 re-encrypted" in out and "reviews.corrections: 2 re-encrypted" in out
    assert _versions(engine) == {"v3"}
    engine.dispose()
