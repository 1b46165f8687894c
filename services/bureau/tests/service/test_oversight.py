"""The bureau's oversight of access providers over HTTP: inspections with a reproducible random selection of the
provider's filings, findings and a yearly compliance score (B2); penalties with a rectification deadline, tracked to
closure (A1)."""
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.bureau import INSPECTION_RECORDED, PENALTY_ISSUED, RECTIFICATION_CLOSED

pytestmark = [pytest.mark.service, pytest.mark.clock]


def collect(tap, counts, timeout=10.0):
    """``{event type: [data, ...]}`` once ``counts[type]`` events of each type arrived (or the time ran out)."""
    got, deadline = {t: [] for t in counts}, time.monotonic() + timeout
    while any(len(got[t]) < n for t, n in counts.items()) and time.monotonic() < deadline:
        for event in tap.drain(0.2):
            got.setdefault(event["meta"]["type"], []).append(event["data"])
    return got


@pytest.mark.req("B2")
def test_an_inspection_examines_a_reproducible_random_sample_and_scores_the_provider(
        api, send_filing, wait_review, bureau_tap):
    filings = [send_filing() for _ in range(6)]
    for filing_id in filings:
        wait_review(api, filing_id)
    year = datetime.now(UTC).year
    plan = {"provider_id": "provider-test", "kind": "random", "year": year, "sample_size": 3, "seed": "2026-B2-07"}
    first = api.post("/inspections", json=plan)
    assert first.status_code == 201, first.text
    again = api.post("/inspections", json=plan).json()
    inspection = first.json()
    assert inspection["population"] == 6 and len(inspection["sample"]) == 3
    assert set(inspection["sample"]) <= set(filings)
    assert again["sample"] == inspection["sample"] and again["inspection_id"] != inspection["inspection_id"]
    other_seed = api.post("/inspections", json={**plan, "seed": "another"}).json()
    assert other_seed["seed"] == "another"

    findings = [{"area": "department", "severity": "minor", "note": "one verifier not on the staff list"},
                {"area": "evidence", "severity": "major", "note": "photo without backdrop logo",
                 "filing_id": inspection["sample"][0]}]
    recorded = api.post(f"/inspections/{inspection['inspection_id']}/findings", json={"findings": findings})
    assert recorded.status_code == 200 and recorded.json()["score"] == 88.0
    assert api.post(f"/inspections/{inspection['inspection_id']}/findings",
                    json={"findings": []}).status_code == 409
    bad = api.post(f"/inspections/{again['inspection_id']}/findings",
                   json={"findings": [{"area": "canteen", "severity": "minor", "note": "x"}]})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["field"].startswith("findings")
    api.post(f"/inspections/{again['inspection_id']}/findings", json={"findings": []})
    event = collect(bureau_tap, {INSPECTION_RECORDED: 2})[INSPECTION_RECORDED]
    assert sorted((e["findings"], e["score"]) for e in event) == [(0, 100.0), (2, 88.0)]
    score = api.get(f"/providers/provider-test/compliance/{year}").json()
    assert score["inspections"] == 2 and score["score"] == 94.0


@pytest.mark.req("A1")
def test_a_penalty_orders_rectification_by_a_deadline_and_is_closed(api, bureau_tap):
    order = {"provider_id": "provider-test", "kind": "rectification_order", "rule": "A1",
             "reason": "verified without meeting the responsible person",
             "rectify_by": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    past = api.post("/penalties", json={**order, "rectify_by": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 422 and past.json()["error"]["errors"][0]["field"] == "rectify_by"
    issued = api.post("/penalties", json=order)
    assert issued.status_code == 201 and issued.json()["state"] == "open"
    penalty_id = issued.json()["penalty_id"]
    assert [p["penalty_id"] for p in api.get("/penalties", params={"provider_id": "provider-test"}).json()["items"]] \
        == [penalty_id]
    closed = api.post(f"/penalties/{penalty_id}/closure", json={"note": "on-site desk staffed and trained"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    events = collect(bureau_tap, {PENALTY_ISSUED: 1, RECTIFICATION_CLOSED: 1})
    assert [e["issued_by"] for e in events[PENALTY_ISSUED]] == ["bureau:京:reviewer-1"]
    assert [e["penalty_id"] for e in events[RECTIFICATION_CLOSED]] == [penalty_id]
