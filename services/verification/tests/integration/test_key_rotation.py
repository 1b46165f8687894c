"""Issue 8, design.md §5: verification's personal data (the filing as submitted, the sponsor's mobile, the originals
as read, each correction, who signed the agreement) written under an old FIELD_KEYS version stays readable after
the switch to a new one, and the rotation job re-encrypts it, so the old key can go (real PostgreSQL, the service
restarted with each key set as a deployment would be)."""
import base64
import io
import json
import os
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.platform.crypto import CryptoConfig
from shared.platform.rotation import main, rotate_keys
from shared.testing.http import ApiClient, token
from shared.testing.samples import RESIDENT_ID, unit_filing, uscc
from verification.rotation import SEALED
from verification.service import VerificationService

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
K1, K2, K3 = (base64.b64encode(os.urandom(32)).decode() for _ in range(3))
TOKEN = re.compile(r'"(v[0-9]+):')
ORIGINALS = {
    "sponsor": {"name": unit_filing()["sponsor"]["name"], "document_type": "business_licence",
                "document_number": uscc()},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
    "person_present_confirmed": True,
}
ADDRESSES = ("北京市海淀区中关村大街1号", "北京市海淀区中关村大街2号", "北京市海淀区中关村大街3号")


@pytest.fixture(scope="module")
def verification_config(verification_config):
    """The service and the events it reads start on key 1 only."""
    return {**verification_config, "FIELD_KEYS": f"1:{K1}", "FIELD_KEY_CURRENT": "1"}


@pytest.fixture
def verification(container_factory, verification_config, clean_slate, tap):
    """The test stops and restarts the service with other keys: a container of its own."""
    container = container_factory(VerificationService, verification_config)
    clean_slate(container, verification_config)
    container.start()
    return container


def _versions(engine) -> set[str]:
    """The key version of every token verification stores."""
    with engine.connect() as connection:
        rows = [*connection.execute(text("SELECT filing FROM submissions")).all(),
                *connection.execute(text("SELECT mobile_token, originals, corrections, agreement FROM cases")).all()]
    return set(TOKEN.findall(json.dumps([list(row) for row in rows], ensure_ascii=False)))


def _file(supervisor: ApiClient, ref: str) -> list[dict]:
    """The sponsor's file as exported for an inspection: every case's filing unsealed, corrections applied."""
    export = supervisor.get(f"/archive/{ref}/export")
    assert export.status_code == 200, export.text
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("manifest.json"))
    return [case["filing"] for case in manifest["cases"]]


@pytest.mark.req("W4")
def test_old_key_data_reads_after_rotation_and_the_job_re_encrypts_it(
        verification, verification_config, open_window, staff, container_factory, monkeypatch,
        capsys):
    engine = create_engine(verification_config["DB_URL"])
    filing_id = open_window(decided_at=datetime.now(UTC).isoformat())
    first = {"field": "contacts.postal_address", "after": ADDRESSES[0]}
    for path, body in ((f"/filings/{filing_id}/originals", ORIGINALS), (f"/filings/{filing_id}/corrections", first),
                       (f"/filings/{filing_id}/agreement", {"signed_by": "张三", "signature": "c2lnbmVk"})):
        assert staff.post(path, json=body).status_code == 200
    ref = staff.get(f"/filings/{filing_id}").json()["sponsor_ref"]
    supervisor = staff.as_(token("supervisor", "head-1", provider="provider-test"))
    before = _file(supervisor, ref)
    assert before[0]["contacts"]["postal_address"] == ADDRESSES[0]
    assert _versions(engine) == {"v1"}

    def restart(keys: str, current: str) -> ApiClient:
        staff.http.close()  # an idle keep-alive connection would hold the web server's shutdown
        for container in [verification, *restart.started]:
            container.stop()
        container = container_factory(VerificationService, {**verification_config, "FIELD_KEYS": keys,
                                                            "FIELD_KEY_CURRENT": current})
        container.start()
        restart.started.append(container)
        return ApiClient(f"http://{verification_config['WEB_SERVER_ADDRESS']}", supervisor.token)

    restart.started = []

    # The new key is current: old data still reads, and a correction re-compares with the old-key originals.
    supervisor = restart(f"1:{K1},2:{K2}", "2")
    assert _file(supervisor, ref) == before
    corrected = supervisor.post(f"/filings/{filing_id}/corrections",
                                json={"field": "contacts.postal_address", "after": ADDRESSES[1]})
    assert corrected.status_code == 200, corrected.text
    assert _versions(engine) == {"v1", "v2"}

    cipher = CryptoConfig.from_config({"FIELD_KEYS": f"1:{K1},2:{K2}", "FIELD_KEY_CURRENT": "2"}).cipher()
    assert rotate_keys(engine, cipher, SEALED, batch=1) == {
        "submissions.filing": 1, "cases.mobile_token": 1, "cases.originals": 1, "cases.corrections": 1,
        "cases.agreement": 1}
    assert _versions(engine) == {"v2"}
    assert set(rotate_keys(engine, cipher, SEALED).values()) == {0}  # idempotent

    # The old key is gone: everything still reads.
    supervisor = restart(f"2:{K2}", "2")
    after = _file(supervisor, ref)
    assert after[0]["contacts"]["postal_address"] == ADDRESSES[1]
    assert after[0]["responsible_person"] == before[0]["responsible_person"]
    corrected = supervisor.post(f"/filings/{filing_id}/corrections",
                                json={"field": "contacts.postal_address", "after": ADDRESSES[2]})
    assert corrected.status_code == 200, corrected.text
    supervisor.http.close()

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("VERIFICATION_DB_URL", verification_config["DB_URL"])
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{K3}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["verification", "--config", str(CONFIG)]) == 0
    assert "cases.corrections: 1 re-encrypted" in capsys.readouterr().out
    assert _versions(engine) == {"v3"}
    engine.dispose()
