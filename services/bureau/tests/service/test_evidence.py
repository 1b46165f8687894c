"""Reviewers open a provider's evidence through presigned links and every access is recorded (B1); the form's
seal is checked before review (P6). On moto's S3: a link is served and says its own life (X-Amz-Expires <= 300);
moto serves links after expiry too (shared/tests/integration/test_storage_minio.py), MinIO/S3 refuse them, so
the bound on the life is proven by the signed parameters."""
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from shared.contracts.bureau import EVIDENCE_ACCESSED
from shared.testing.http import token

pytestmark = [pytest.mark.service, pytest.mark.clock]


@pytest.mark.req("B1")
def test_every_evidence_link_lives_at_most_300_s_and_is_recorded(api, send_filing, bureau_tap, evidence, wait_review):
    filing_id = send_filing()
    review = wait_review(api, filing_id)
    assert {"photo", "form_bureau_copy", "document_copies.0", "domain_lookups.0"} <= set(review["evidence_items"])
    before = datetime.now(UTC).replace(microsecond=0)
    links = {}
    for item, viewer in (("photo", "reviewer-1"), ("document_copies.0", "reviewer-2")):
        answer = api.as_(token("reviewer", viewer, province="京")).post(f"/reviews/{filing_id}/evidence/{item}/link")
        assert answer.status_code == 200, answer.text
        links[item] = answer.json()
    photo = links["photo"]
    assert photo["expires_in"] == 300 and photo["sha256"] == evidence["photo"]["sha256"]
    query = parse_qs(urlparse(photo["url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= signed_at <= datetime.now(UTC)
    fetched = requests.get(photo["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")

    log = api.get(f"/reviews/{filing_id}/evidence-accesses").json()["items"]
    assert [(a["item"], a["viewer"]) for a in log] == [("photo", "bureau:京:reviewer-1"),
                                                        ("document_copies.0", "bureau:京:reviewer-2")]
    assert all(a["expires_in"] == 300 and a["key"] for a in log)
    announced = []
    deadline = time.monotonic() + 10
    while len(announced) < 2 and time.monotonic() < deadline:
        announced += [e["data"] for e in bureau_tap.drain(0.2) if e["meta"]["type"] == EVIDENCE_ACCESSED]
    assert sorted(a["access_id"] for a in announced) == sorted(a["access_id"] for a in log)
    assert api.post(f"/reviews/{filing_id}/evidence/passport/link").status_code == 404


@pytest.mark.req("B1")
def test_a_filing_whose_form_seal_fails_cannot_be_approved(api, send_filing, evidence, store_object, sealed_form,
                                                           wait_review):
    tampered = sealed_form.replace(b"ReportLab", b"ReportLaX", 1)
    broken = {**evidence, "form_bureau_copy": store_object("filings/tampered/form.pdf", tampered, "application/pdf")}
    filing_id = send_filing(evidence_override=broken)
    review = wait_review(api, filing_id)
    assert review["form_check"]["valid"] is False
    assert "tampered" in [p["code"] for p in review["form_check"]["problems"]]
    refused = api.post(f"/reviews/{filing_id}/approval")
    assert refused.status_code == 409 and refused.json()["error"]["errors"][0]["code"] == "form_not_valid"
    reason = {"field": "evidence.form_bureau_copy", "code": "tampered", "message": "Seal broken.", "rule": "P6"}
    assert api.post(f"/reviews/{filing_id}/return", json={"reasons": [reason]}).status_code == 200
