"""What verification consumes (design.md §3): every handler reads a registered event of its real producer with
a bounded, requeueing handler, and the producer's sample loads; what it produces is registered as its own."""
import pytest
from nameko.events import EventHandler

from shared.contracts import EVENTS
from verification.service import VerificationService

pytestmark = pytest.mark.contract


def _handlers() -> list[EventHandler]:
    return [entrypoint for name in dir(VerificationService)
            for entrypoint in getattr(getattr(VerificationService, name), "nameko_entrypoints", ())
            if isinstance(entrypoint, EventHandler)]


def test_verification_consumes_passes_cancellations_returns_stock_and_quality_events():
    assert {(h.source_service, h.event_type) for h in _handlers()} == {
        ("intake", "filing_cancelled.v1"),
        ("intake", "reverification_requested.v1"),  # W6: the stock's on-site window
        ("precheck", "precheck_passed.v2"),  # P3: the window opens on the submission it carries (issue 18)
        ("precheck", "precheck_failed.v1"),  # W1: who decided
        ("precheck", "precheck_deadline_breached.v1"),  # W1: deadlines breached
        ("bureau", "filing_returned.v1"),
        ("audit", "audit_finding_raised.v1"),  # W1: decisions contradicted by a finding
    }


@pytest.mark.parametrize("handler", [pytest.param(h, id=h.event_type) for h in _handlers()])
def test_every_consumed_event_is_registered_with_its_producer(handler):
    contract = EVENTS.get(handler.event_type)
    assert contract.producer == handler.source_service
    assert handler.requeue_on_error is True
    envelope = contract.sample_envelope(correlation_id=contract.sample["filing_id"])
    assert EVENTS.load(envelope)["filing_id"] == contract.sample["filing_id"]


def test_verification_produces_the_onsite_events():
    produced = {c.type for c in EVENTS if c.producer == "verification"}
    assert {"onsite_window_opened.v1", "onsite_window_nearly_expired.v1", "onsite_window_expired.v1",
            "onsite_verified.v1", "onsite_rejected.v1", "filing_sent_to_bureau.v1"} <= produced
