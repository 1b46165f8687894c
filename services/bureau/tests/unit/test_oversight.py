"""The bureau's oversight of access providers on the in-memory unit of work: inspections with a reproducible random
selection of the provider's filings, findings and a yearly compliance score (B2); penalties with a rectification
deadline, tracked to closure (A1); none of it open to another province's reviewer."""
from datetime import timedelta

import pytest

from bureau.usecases import oversight
from bureau.usecases.common import Scope
from shared.contracts.bureau import INSPECTION_RECORDED, PENALTY_ISSUED, RECTIFICATION_CLOSED
from shared.contracts.errors import Conflict, Forbidden, ValidationFailed
from shared.kernel.provinces import province_by_abbr
from shared.platform.auth import Principal

from .conftest import RECEIVED, REVIEWER

pytestmark = [pytest.mark.unit, pytest.mark.clock]

ORDER = {"provider_id": "provider-test", "filing_id": None, "kind": "rectification_order", "rule": "A1",
         "reason": "verified without meeting the responsible person", "rectify_by": RECEIVED + timedelta(days=30)}


@pytest.mark.req("B2")
def test_an_inspection_examines_a_reproducible_random_sample_and_scores_the_provider(uow, at, scope, receive):
    filings = [receive()[0] for _ in range(6)]
    plan = {"provider_id": "provider-test", "kind": "random", "year": 2026, "sample_size": 3, "seed": "2026-B2-07"}
    inspection = oversight.plan_inspection(uow, *plan.values(), REVIEWER, scope=scope, now=at)
    again = oversight.plan_inspection(uow, *plan.values(), REVIEWER, scope=scope, now=at)
    assert inspection["population"] == 6 and len(inspection["sample"]) == 3
    assert set(inspection["sample"]) <= set(filings)
    assert again["sample"] == inspection["sample"] and again["inspection_id"] != inspection["inspection_id"]
    assert oversight.plan_inspection(uow, "provider-test", "random", 2025, 3, None, REVIEWER, scope=scope,
                                     now=at)["population"] == 0  # filings of the inspected year only
    findings = [{"area": "department", "severity": "minor", "note": "one verifier not on the staff list"},
                {"area": "evidence", "severity": "major", "note": "photo without backdrop logo",
                 "filing_id": inspection["sample"][0]}]
    recorded = oversight.record_inspection(uow, inspection["inspection_id"], findings, REVIEWER, scope=scope, now=at)
    assert recorded["score"] == 88.0 and recorded["recorded_by"] == REVIEWER
    with pytest.raises(Conflict):
        oversight.record_inspection(uow, inspection["inspection_id"], [], REVIEWER, scope=scope, now=at)
    with pytest.raises(ValidationFailed) as bad:
        oversight.record_inspection(uow, again["inspection_id"], [{"area": "canteen", "severity": "minor",
                                                                   "note": "x"}], REVIEWER, scope=scope, now=at)
    assert bad.value.errors[0]["field"] == "findings"
    at.advance(minutes=1)
    oversight.record_inspection(uow, again["inspection_id"], [], REVIEWER, scope=scope, now=at)
    assert [(e["findings"], e["score"]) for e in uow.outbox.of_type(INSPECTION_RECORDED)] == [(2, 88.0), (0, 100.0)]
    score = oversight.compliance(uow, "provider-test", 2026, scope=scope)
    assert score["inspections"] == 2 and score["score"] == 94.0
    at.advance(minutes=1)
    other = oversight.plan_inspection(uow, "provider-other", "scheduled", 2026, 1, None, REVIEWER, scope=scope, now=at)
    listed = oversight.inspections(uow, None, scope=scope)
    assert [i["inspection_id"] for i in listed][0] == other["inspection_id"]  # newest first
    of_one = oversight.inspections(uow, "provider-test", scope=scope)
    assert len(of_one) == 3 and {i["provider_id"] for i in of_one} == {"provider-test"}
    assert {inspection["inspection_id"], again["inspection_id"]} <= {i["inspection_id"] for i in of_one}


@pytest.mark.req("A1")
def test_a_penalty_orders_rectification_by_a_future_deadline_and_is_closed_once(uow, at, scope):
    with pytest.raises(ValidationFailed) as past:
        oversight.issue_penalty(uow, {**ORDER, "rectify_by": RECEIVED - timedelta(days=1)}, REVIEWER, scope=scope,
                                now=at)
    assert past.value.errors[0]["field"] == "rectify_by"
    issued = oversight.issue_penalty(uow, ORDER, REVIEWER, scope=scope, now=at)
    assert issued["state"] == "open"
    assert [p["penalty_id"] for p in oversight.penalties(uow, "provider-test", scope=scope)] == [issued["penalty_id"]]
    assert oversight.penalties(uow, "another-provider", scope=scope) == []
    closed = oversight.close_penalty(uow, issued["penalty_id"], "on-site desk staffed", REVIEWER, scope=scope, now=at)
    assert closed["state"] == "closed" and closed["closed_by"] == REVIEWER
    with pytest.raises(Conflict):
        oversight.close_penalty(uow, issued["penalty_id"], "again", REVIEWER, scope=scope, now=at)
    assert [e["issued_by"] for e in uow.outbox.of_type(PENALTY_ISSUED)] == [REVIEWER]
    assert [e["penalty_id"] for e in uow.outbox.of_type(RECTIFICATION_CLOSED)] == [issued["penalty_id"]]


@pytest.mark.req("B1")
def test_another_provinces_reviewer_may_not_oversee_this_provinces_providers(uow, at):
    guangdong = Scope(province_by_abbr("京"), Principal("reviewer-9", "reviewer", province="粤").may_see)
    for attempt in (lambda: oversight.issue_penalty(uow, ORDER, "bureau:京:reviewer-9", scope=guangdong, now=at),
                    lambda: oversight.penalties(uow, None, scope=guangdong),
                    lambda: oversight.inspections(uow, None, scope=guangdong),
                    lambda: oversight.compliance(uow, "provider-test", 2026, scope=guangdong),
                    lambda: oversight.plan_inspection(uow, "provider-test", "random", 2026, 1, None,
                                                      "bureau:京:reviewer-9", scope=guangdong, now=at)):
        with pytest.raises(Forbidden):
            attempt()
    assert uow.penalties.items == {} and uow.inspections.items == {} and uow.outbox.envelopes == []
