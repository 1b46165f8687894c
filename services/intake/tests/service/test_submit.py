"""Submitting over the real RabbitMQ, PostgreSQL and S3: exactly one valid event, or every error and none."""
import pytest
from sqlalchemy import create_engine, text

from shared.contracts import EVENTS
from shared.contracts.intake import FILING_SUBMITTED

pytestmark = pytest.mark.service


def _rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return count


@pytest.mark.req("P1")
def test_valid_filing_emits_exactly_one_filing_submitted(api, complete_draft, event_tap):
    filing_id = complete_draft()
    assert api.get(f"/filings/{filing_id}").json()["problems"] == []

    response = api.post(f"/filings/{filing_id}/submit")

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "submitted"
    events = event_tap.drain()
    assert [e["meta"]["type"] for e in events] == [FILING_SUBMITTED]
    envelope = events[0]
    EVENTS.validate_outgoing(envelope)
    assert envelope["meta"]["correlation_id"] == filing_id
    data = envelope["data"]
    assert data["sponsor"]["document_number"] == api.get(f"/filings/{filing_id}").json()["data"]["sponsor"][
        "document_number"
    ]
    assert {d["ascii"] for d in data["websites"][0]["domains"]} == {"www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"}
    assert len(data["documents"]) == 2
    assert event_tap.drain(timeout=1.0) == []


@pytest.mark.req("P1")
@pytest.mark.req("R1.6")
def test_invalid_filing_returns_every_error_and_emits_nothing(api, intake_config, event_tap):
    draft = {
        "sponsor": {"kind": "unit", "unit_type": "social_organisation", "name": "某某科技有限公司",
                    "document_type": "resident_id", "document_number": "91110108MA01C3H770", "province": "XX"},
        "responsible_person": {"name": "张三", "document_type": "resident_id",
                               "document_number": "110105194912310021", "role": "boss"},
        "contacts": {"mobile": "12345", "email": "not-an-email"},
        "websites": [{"name": "站", "domains": ["localhost", "http://x.cn/path"], "service_content": []}],
    }
    filing_id = api.post("/filings", json=draft).json()["id"]
    outbox_before = _rows(intake_config["DB_URL"], "outbox")

    response = api.post(f"/filings/{filing_id}/submit")

    assert response.status_code == 422
    errors = response.json()["error"]["errors"]
    by_field = {(e["field"], e["rule"]) for e in errors}
    for expected in [
        ("sponsor.province", "requirements §4"),
        ("sponsor.unit_type", "R1.1"),
        ("responsible_person.document_number", "GB 11643-1999"),
        ("responsible_person.role", "R1.5"),
        ("contacts.mobile", "R1.6"),
        ("contacts.email", "R1.6"),
        ("contacts.office_phone", "R1.6"),
        ("contacts.postal_address", "R1.6"),
        ("websites.0.domains.0", "R1.7"),
        ("websites.0.domains.1", "R1.7"),
        ("websites.0.service_content", "R1.7"),
        ("access.ip_addresses", "R1.8"),
        ("documents", "P5"),
        ("contract_acceptance", "W3"),
    ]:
        assert expected in by_field, (expected, sorted(by_field))
    assert all(set(e) == {"field", "code", "message", "rule"} for e in errors)
    assert api.get(f"/filings/{filing_id}").json()["state"] == "draft"
    assert _rows(intake_config["DB_URL"], "outbox") == outbox_before == 0
    assert event_tap.drain(timeout=1.0) == []
