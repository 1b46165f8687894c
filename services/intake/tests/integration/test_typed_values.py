"""Issue 17: typed values are normalised once at the edge, and what is stored (and so masked, indexed and compared)
is the normal form; migration 0006 (``intake.normalise``) brings values stored before that to it and recomputes
their lookups (real PostgreSQL, real broker)."""
import base64
import os
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from intake.models import Filing, FilingVersion
from intake.normalise import normalise_stored
from intake.repository import ALL_PERSONAL_PATHS, STORE_CONTEXT
from shared.platform.crypto import CryptoConfig
from shared.platform.migrations import alembic_config
from shared.platform.sealing import seal, unseal
from shared.testing.samples import ACCESS, RESIDENT_ID, unit_filing

pytestmark = pytest.mark.integration

SERVICE_DIR = Path(__file__).resolve().parents[2]
FULL_WIDTH = str.maketrans("0123456789+-.xX@", "０１２３４５６７８９＋－．ｘＸ＠")


def _typed_unit_filing() -> dict:
    """The unit sample as a Chinese input method may type it: full-width numbers, contacts and domains, a
    lower-case ``x``, surrounding spaces, a legal name with full-width brackets."""
    data = unit_filing()
    data["sponsor"]["name"] = " 北京示例网络科技有限公司（分公司） "
    data["responsible_person"]["document_number"] = RESIDENT_ID.lower().translate(FULL_WIDTH)
    data["contacts"]["mobile"] = "＋８６ １３８ ００１３ ８０００"
    data["contacts"]["office_phone"] = "０１０－６２３４５６７８"
    data["contacts"]["email"] = "zhangsan@example.com.cn".translate(FULL_WIDTH)
    data["websites"][0]["domains"] = ["www.example.com.cn".translate(FULL_WIDTH) + " ", "例子.中国"]
    return data


def _stored(url: str, cipher) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM filing_versions ORDER BY id")).scalars().all()
    engine.dispose()
    return [unseal(row, ALL_PERSONAL_PATHS, cipher, STORE_CONTEXT) for row in rows]


@pytest.mark.req("R1.3")
@pytest.mark.req("R1.6")
@pytest.mark.req("R1.7")
def test_intake_stores_the_normal_form_of_what_was_typed(api, staff, intake_config):
    created = api.post("/filings", json=_typed_unit_filing())
    assert created.status_code == 201, created.text
    filing_id = created.json()["id"]
    access = {**ACCESS, "ip_addresses": ["111.13.100.91".translate(FULL_WIDTH)]}
    assert staff.put(f"/filings/{filing_id}/access", json=access).status_code == 200
    assert api.patch(f"/filings/{filing_id}", json={"contacts": {"home_phone": " ０２０－８１２３４５６７ "}}
                     ).status_code == 200

    [stored] = _stored(intake_config["DB_URL"], CryptoConfig.from_config(intake_config).cipher())

    assert stored["sponsor"]["name"] == "北京示例网络科技有限公司（分公司）"  # only trimmed (P5)
    assert stored["responsible_person"]["document_number"] == RESIDENT_ID
    assert stored["contacts"]["mobile"] == "+86 138 0013 8000"
    assert stored["contacts"]["office_phone"] == "010-62345678"
    assert stored["contacts"]["home_phone"] == "020-81234567"
    assert stored["contacts"]["email"] == "zhangsan@example.com.cn"
    assert stored["websites"][0]["domains"] == ["www.example.com.cn", "例子.中国"]
    assert stored["access"]["ip_addresses"] == ["111.13.100.91"]
    shown = api.get(f"/filings/{filing_id}").json()
    assert shown["data"]["responsible_person"]["document_number"].endswith("2X")  # masked from the normal form


KEYS = {"FIELD_KEYS": "1:" + base64.b64encode(os.urandom(32)).decode(), "FIELD_KEY_CURRENT": "1",
        "EXCHANGE_KEYS": "1:" + base64.b64encode(os.urandom(32)).decode(), "EXCHANGE_KEY_CURRENT": "1",
        "LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(), "ALLOW_DEV_KEYS": "false"}


def _insert(session: Session, crypto: CryptoConfig, data: dict, *, submitted: bool) -> str:
    """A filing as intake stored it before issue 17: the draft as typed; a submitted one keyed on the typed
    mobile (as a lookup written by an older canonicalisation would be)."""
    now = datetime(2026, 11, 2, tzinfo=UTC)
    hasher = crypto.hasher()
    filing = Filing(id=str(uuid.uuid4()), provider_id="provider-test", state="submitted" if submitted else "draft",
                    version=1, attempt=int(submitted), created_by="sponsor:x", created_at=now, updated_at=now,
                    person_document_hmac=hasher.digest(data["responsible_person"]["document_number"] + " ",
                                                       kind="person_document") if submitted else None,
                    mobile_hmac=hasher.digest(data["contacts"]["mobile"], kind="mobile") if submitted else None)
    session.add(filing)
    session.flush()
    session.add(FilingVersion(filing_id=filing.id, version=1, submitted_at=now if submitted else None,
                              data=seal(data, ALL_PERSONAL_PATHS, crypto.cipher(), STORE_CONTEXT)))
    session.commit()
    return filing.id


@pytest.mark.req("R1.3")
@pytest.mark.req("R1.6")
def test_migration_0006_normalises_stored_values_and_recomputes_their_lookups(database_factory, monkeypatch):
    url = database_factory("intake")
    crypto = CryptoConfig.from_config(KEYS)
    engine = create_engine(url)
    with Session(engine) as session:
        draft = _insert(session, crypto, _typed_unit_filing(), submitted=False)
        submitted = _insert(session, crypto, _typed_unit_filing(), submitted=True)
    config = alembic_config(SERVICE_DIR, url)
    command.downgrade(config, "0005")
    for name, value in KEYS.items():  # the migration step's environment carries the service's keys
        monkeypatch.setenv(name, value)

    command.upgrade(config, "head")

    for data in _stored(url, crypto.cipher()):
        assert data["responsible_person"]["document_number"] == RESIDENT_ID
        assert data["contacts"]["mobile"] == "+86 138 0013 8000"
        assert data["websites"][0]["domains"][0] == "www.example.com.cn"
        assert data["sponsor"]["name"] == "北京示例网络科技有限公司（分公司）"
    hasher = crypto.hasher()
    with Session(engine) as session:
        filings = {f.id: f for f in session.execute(select(Filing)).scalars()}
        assert filings[submitted].mobile_hmac == hasher.digest("13800138000", kind="mobile")
        assert filings[submitted].person_document_hmac == hasher.digest(RESIDENT_ID, kind="person_document")
        assert filings[draft].mobile_hmac is None and filings[draft].person_document_hmac is None
    with engine.begin() as connection:  # idempotent: a second run finds nothing to change
        assert normalise_stored(connection, crypto, date(2026, 11, 2)) == {"versions": 0, "filings": 0}
    engine.dispose()


def test_migration_0006_needs_no_keys_without_filings(database_factory, monkeypatch):
    url = database_factory("intake")
    config = alembic_config(SERVICE_DIR, url)
    command.downgrade(config, "0005")
    monkeypatch.setenv("ALLOW_DEV_KEYS", "false")
    for name in ("FIELD_KEYS", "LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    command.upgrade(config, "head")
