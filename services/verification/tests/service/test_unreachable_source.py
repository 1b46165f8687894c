"""P5: an authoritative source that cannot be reached is never a pass (the module's container is configured to
call sources over HTTP on a port nobody listens on)."""
import socket

import pytest

from shared.testing.samples import RESIDENT_ID, uscc

pytestmark = [pytest.mark.service, pytest.mark.clock]


@pytest.fixture(scope="module")
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def verification_config(verification_config, closed_port):
    return {**verification_config, "AUTHORITY_MODE": "http", "AUTHORITY_TIMEOUT": "0.3",
            "AUTHORITY_RETRIES": "1", "AUTHORITY_BACKOFF": "0.05",
            **{name: f"http://127.0.0.1:{closed_port}" for name in
               ("PUBLIC_SECURITY_URL", "ORGANISATION_CODES_URL", "BUSINESS_REGISTRY_URL")}}


@pytest.mark.req("P5")
def test_an_unreachable_source_is_never_a_pass(open_window, staff):
    filing_id = open_window()
    reading = {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID}
    case = staff.post(f"/filings/{filing_id}/originals", json={
        "sponsor": {"name": "北京示例网络科技有限公司", "document_type": "business_licence",
                    "document_number": uscc()},
        "responsible_person": reading, "person_present_confirmed": True}).json()
    assert {a["outcome"] for a in case["originals"]["authority"]} == {"unavailable"}
    decided = staff.post(f"/filings/{filing_id}/decision")
    assert decided.status_code == 422
    assert "authority_unavailable" in {e["code"] for e in decided.json()["error"]["errors"]}
    assert staff.get(f"/filings/{filing_id}").json()["state"] == "window_open"
