"""Cancellations (注销) reach the bureau of the filing's province (P8, R2.1): intake's event, routed by province,
ends the review. What a change or a cancellation does to the numbers is in tests/unit (test_review.py,
test_receipt.py)."""
import pytest

from shared.contracts.intake import FILING_CANCELLED
from shared.testing.events import publisher

pytestmark = pytest.mark.service


@pytest.mark.req("P8")
def test_a_filing_cancelled_during_review_leaves_the_queue(api, send_filing, bureau_config, wait_review):
    filing_id = send_filing()
    wait_review(api, filing_id)
    publisher(bureau_config["AMQP_URI"])("intake", FILING_CANCELLED, {
        "filing_id": filing_id, "provider_id": "provider-test", "province": "京", "filing_number": None,
        "reason": "sponsor withdrew", "cancelled_at": "2026-11-25T10:00:00+08:00", "cancelled_by": "sponsor"},
        filing_id)
    wait_review(api, filing_id, state="cancelled")
    assert api.get("/reviews").json()["items"] == []
    assert api.post(f"/reviews/{filing_id}/approval").status_code == 409
