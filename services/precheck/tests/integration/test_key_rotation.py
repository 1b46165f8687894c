"""Issue 8, design.md §5: precheck's personal data (the sponsor's mobile, each contact's recipient) written under an
old FIELD_KEYS version stays readable after the switch to a new one, and the rotation job re-encrypts it, so the
old key can go (real PostgreSQL)."""
import base64
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from precheck.domain import shipped_rulebook
from precheck.models import Case
from precheck.repository import PrecheckUnitOfWork
from precheck.rotation import SEALED
from precheck.usecases import common, contacts, submission
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_SUBMITTED
from shared.kernel.province_rules import shipped_province_rules
from shared.platform.crypto import CryptoConfig
from shared.platform.rotation import main, rotate_keys
from shared.testing.samples import filing_submitted_data, unit_filing

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
K1, K2, K3 = (base64.b64encode(os.urandom(32)).decode() for _ in range(3))
MOBILE, EMAIL = unit_filing()["contacts"]["mobile"], unit_filing()["contacts"]["email"]


def _crypto(keys: str, current: str) -> CryptoConfig:
    return CryptoConfig.from_config({"FIELD_KEYS": keys, "FIELD_KEY_CURRENT": current, "ALLOW_DEV_KEYS": "true"})


def _now() -> datetime:
    return datetime.now(UTC)


def _versions(engine) -> set[str]:
    with engine.connect() as connection:
        tokens = [*connection.execute(text("SELECT mobile_token FROM cases")).scalars(),
                  *connection.execute(text("SELECT recipient_token FROM confirmations")).scalars(),
                  *(kept["contacts"]["mobile"] for kept in connection.execute(select(Case.submission)).scalars())]
    return {token.split(":", 1)[0] for token in tokens}


def _plain(engine, keys: str, current: str) -> set[str]:
    """Every stored mobile and recipient, and the mobile of every kept submission, opened as the service opens
    them (``precheck.<field>``, ``precheck.submission.<path>`` contexts)."""
    cipher = _crypto(keys, current).cipher()
    with engine.connect() as connection:
        mobiles = connection.execute(text("SELECT mobile_token FROM cases")).scalars().all()
        recipients = connection.execute(text("SELECT recipient_token FROM confirmations")).scalars().all()
        kept = [kept["contacts"]["mobile"] for kept in connection.execute(select(Case.submission)).scalars()]
    return ({cipher.decrypt(t, context=f"{common.STORE_CONTEXT}.mobile") for t in mobiles}
            | {cipher.decrypt(t, context=f"{common.STORE_CONTEXT}.recipient") for t in recipients}
            | {cipher.decrypt(t, context=f"{common.SUBMISSION_CONTEXT}.contacts.mobile") for t in kept})


@pytest.mark.req("W4")
def test_old_key_data_reads_after_rotation_and_the_job_re_encrypts_it(database_factory, monkeypatch, capsys):
    url = database_factory("precheck")
    engine = create_engine(url)
    filing_ids = [str(uuid.uuid4()) for _ in range(3)]
    with Session(engine) as session:
        crypto = _crypto(f"1:{K1}", "1")
        for filing_id in filing_ids:
            raw = filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id)
            envelope = make_envelope(FILING_SUBMITTED, "intake", raw, filing_id)
            submission.on_submitted(PrecheckUnitOfWork(session), EVENTS.load(envelope), cipher=crypto.cipher(),
                                  hasher=crypto.hasher(), rulebook=shipped_rulebook("2026.1"),
                                  province_rules=shipped_province_rules(), auto_pass=False, now=_now)
        session.commit()
    assert _versions(engine) == {"v1"}

    with Session(engine) as session:  # the new key is current: old rows still read, a new code goes out
        cipher = _crypto(f"1:{K1},2:{K2}", "2").cipher()
        answer = contacts.resend_code(PrecheckUnitOfWork(session), filing_ids[0], "sms", cipher=cipher, now=_now)
        assert answer["contacts"]["sms"]["confirmed"] is False
        session.commit()
    assert _plain(engine, f"1:{K1},2:{K2}", "2") == {MOBILE, EMAIL}

    crypto = _crypto(f"1:{K1},2:{K2}", "2")
    assert rotate_keys(engine, crypto.cipher(), SEALED, batch=2) == {
        "cases.mobile_token": 3, "cases.submission": 3, "confirmations.recipient_token": 6}
    assert _versions(engine) == {"v2"}
    assert set(rotate_keys(engine, crypto.cipher(), SEALED).values()) == {0}  # idempotent

    with Session(engine) as session:  # the old key is gone: everything still reads
        cipher = _crypto(f"2:{K2}", "2").cipher()
        for filing_id in filing_ids:
            answer = contacts.resend_code(PrecheckUnitOfWork(session), filing_id, "email", cipher=cipher, now=_now)
            assert answer["filing_id"] == filing_id
        session.commit()
    assert _plain(engine, f"2:{K2}", "2") == {MOBILE, EMAIL}

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("PRECHECK_DB_URL", url)
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{K3}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["precheck", "--config", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "cases.mobile_token: 3 re-encrypted" in out and "confirmations.recipient_token: 6 re-encrypted" in out
    assert "cases.submission: 3 re-encrypted" in out
    assert _versions(engine) == {"v3"}
    assert _plain(engine, f"3:{K3}", "3") == {MOBILE, EMAIL}
    engine.dispose()
