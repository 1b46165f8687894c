"""Issue 8: every route of 京's bureau x every kind of caller, over real HTTP: 401 unauthenticated, expired or
tampered; 403 a role that may not (provider staff, sponsors, ops; an auditor deciding; another province's reviewer
overseeing 京's providers); 404 a filing of this province to another province's reviewer (B1: it may not open
its scans), answered exactly like an unknown filing; each allowed call succeeding. The routes are read from the
service, so a route added without a row here fails."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bureau.service import BureauService
from shared.testing.http import identities
from shared.testing.openapi_conformance import http_entrypoints

pytestmark = pytest.mark.service

READ = {"reviewer", "auditor"}
DECIDE = {"reviewer"}
HIDDEN = {"other_province_reviewer"}
REFUSED = {"none": 401, "expired": 401, "tampered": 401}
INSPECTION = {"provider_id": "provider-test", "kind": "random", "year": 2026, "sample_size": 1}
RECTIFY_BY = (datetime.now(UTC) + timedelta(days=30)).isoformat()
PENALTY = {"provider_id": "provider-test", "kind": "rectification_order", "reason": "核验台无人值守",
           "rectify_by": RECTIFY_BY}

# route, method, path, body, success status, allowed callers, callers to whom the target is out of scope (404);
# everyone else 403. ``{id}`` a pending review, ``{approve}`` / ``{ret}`` one each to approve and return (each
# decided once), ``{insp}`` a planned inspection, ``{pen}`` an open penalty. Another province's reviewer gets
# the queue without 京's filings (200, checked below), not a refusal.
ROUTES = [
    ("queue_http", "GET", "/reviews", None, 200, READ | HIDDEN, set()),
    ("review_http", "GET", "/reviews/{id}", None, 200, READ, HIDDEN),
    ("approve_http", "POST", "/reviews/{approve}/approval", None, 200, DECIDE, HIDDEN),
    ("return_http", "POST", "/reviews/{ret}/return",
     {"reasons": [{"field": "contacts.mobile", "code": "mismatch", "message": "号码无法接通", "rule": "P8"}]}, 200,
     DECIDE, HIDDEN),
    ("evidence_link_http", "POST", "/reviews/{id}/evidence/photo/link", None, 200, DECIDE, HIDDEN),
    ("evidence_accesses_http", "GET", "/reviews/{id}/evidence-accesses", None, 200, READ, HIDDEN),
    ("plan_inspection_http", "POST", "/inspections", INSPECTION, 201, DECIDE, set()),
    ("inspection_http", "GET", "/inspections/{insp}", None, 200, READ, set()),
    ("findings_http", "POST", "/inspections/{insp}/findings", {"findings": []}, 200, DECIDE, set()),
    ("compliance_http", "GET", "/providers/provider-test/compliance/2026", None, 200, READ, set()),
    ("penalty_http", "POST", "/penalties", PENALTY, 201, DECIDE, set()),
    ("closure_http", "POST", "/penalties/{pen}/closure", {"note": "已整改"}, 200, DECIDE, set()),
    ("penalties_http", "GET", "/penalties", None, 200, READ, set()),
    ("load_calendar_year", "POST", "/calendar/years", {}, 400, {"ops"}, set()),
]
# Open to everyone, with or without a (valid) token: the public query answers "not filed" for an unknown domain.
PUBLIC = [("public_query_http", "/public/filings?domain=unfiled.example.cn", 404), ("openapi", "/openapi.json", 200),
          ("ops_healthz", "/healthz", 200), ("ops_metrics", "/metrics", 200)]


def _expected(caller: str, success: int, allowed: set, hidden: set) -> int:
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in hidden:
        return 404
    return success if caller in allowed else 403


def test_the_table_covers_every_route_of_the_service():
    assert {r[0] for r in ROUTES} | {name for name, *_ in PUBLIC} == http_entrypoints(BureauService)


@pytest.mark.req("B1")
@pytest.mark.req("W4")
def test_every_route_by_every_caller(api, send_filing, wait_review):
    """One container for the whole table; failures name route and caller."""
    ids = {"id": send_filing(), "approve": send_filing(), "ret": send_filing()}
    for filing_id in ids.values():
        wait_review(api, filing_id)
    ids["insp"] = api.post("/inspections", json=INSPECTION).json()["inspection_id"]
    ids["pen"] = api.post("/penalties", json=PENALTY).json()["penalty_id"]
    unknown = {name: str(uuid.uuid4()) for name in ids}
    tokens = identities("provider-test", province="京")
    failures, calls = [], 0
    for route, method, path, body, success, allowed, hidden in ROUTES:
        for caller, token in tokens.items():
            expected = _expected(caller, success, allowed, hidden)
            client = api.as_(token)
            response = _call(client, method, path.format(**ids), body)
            calls += 1
            if response.status_code != expected:
                failures.append(f"{route} by {caller}: {response.status_code} != {expected} {response.text[:160]}")
            elif caller in hidden:
                same = _call(client, method, path.format(**unknown), body)
                if same.status_code != 404 or same.json() != response.json():
                    failures.append(f"{route} by {caller}: out of scope answers differently from unknown")
    for route, path, status in PUBLIC:
        answers = {caller: api.as_(token).get(path).status_code for caller, token in tokens.items()}
        if set(answers.values()) != {status}:
            failures.append(f"{route}: {answers}")
    assert failures == []
    assert calls == len(ROUTES) * len(tokens)
    assert api.as_(tokens["other_province_reviewer"]).get("/reviews").json()["items"] == []
    assert {r["filing_id"] for r in api.get("/reviews").json()["items"]} == {ids["id"]}


def _call(client, method: str, url: str, body):
    headers = client._headers({"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {})
    return client.http.request(method, client.base_url + url, headers=headers, json=body, timeout=30)


@pytest.mark.req("B1")
def test_another_provinces_reviewer_cannot_open_a_scan_and_nothing_is_recorded(api, send_filing, wait_review):
    """B1: 粤's reviewer asking 京's bureau for a scan gets no link, and no access is recorded or announced."""
    filing_id = send_filing()
    wait_review(api, filing_id)
    other = api.as_(identities("provider-test", province="京")["other_province_reviewer"])
    for item in ("photo", "form_bureau_copy", "document_copies.0"):
        refused = other.post(f"/reviews/{filing_id}/evidence/{item}/link")
        assert refused.status_code == 404 and "url" not in refused.text
    assert api.get(f"/reviews/{filing_id}/evidence-accesses").json()["items"] == []
