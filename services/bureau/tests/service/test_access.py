"""Issue 8: every route of 京's bureau x every kind of caller, over real HTTP: 401 unauthenticated, expired or
tampered; 403 a role that may not (provider staff, sponsors, ops; an auditor deciding; another province's reviewer
overseeing 京's providers); 404 a filing of this province to another province's reviewer (B1: it may not open
its scans), answered exactly like an unknown filing; each allowed call succeeding. Who may call a route is read
from its declaration, so a route added without a row here fails."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bureau.service import BureauService
from shared.platform.entrypoints import routes
from shared.testing.http import allowed_callers, assert_answered_in_the_callers_language, identities

pytestmark = pytest.mark.service

HIDDEN = {"other_province_reviewer"}
REFUSED = {"none": 401, "expired": 401, "tampered": 401}
INSPECTION = {"provider_id": "provider-test", "kind": "random", "year": 2026, "sample_size": 1}
RECTIFY_BY = (datetime.now(UTC) + timedelta(days=30)).isoformat()
PENALTY = {"provider_id": "provider-test", "kind": "rectification_order", "reason": "核验台无人值守",
           "rectify_by": RECTIFY_BY}

# route, path, body, success status, callers to whom the target is out of scope (404), callers the route's rule
# lets through whom the province's oversight refuses (403, B1); who may call it comes from the route's declaration
# (everyone else 403). ``{id}`` a pending review, ``{approve}`` / ``{ret}`` one each to approve and return (each
# decided once), ``{insp}`` a planned inspection, ``{pen}`` an open penalty. Another province's reviewer gets
# the queue without 京's filings (200, checked below), not a refusal.
ROUTES = [
    ("queue_http", "/reviews", None, 200, set(), set()),
    ("review_http", "/reviews/{id}", None, 200, HIDDEN, set()),
    ("approve_http", "/reviews/{approve}/approval", None, 200, HIDDEN, set()),
    ("return_http", "/reviews/{ret}/return",
     {"reasons": [{"field": "contacts.mobile", "code": "mismatch", "message": "号码无法接通", "rule": "P8"}]}, 200,
     HIDDEN, set()),
    ("evidence_link_http", "/reviews/{id}/evidence/photo/link", None, 200, HIDDEN, set()),
    ("evidence_accesses_http", "/reviews/{id}/evidence-accesses", None, 200, HIDDEN, set()),
    ("plan_inspection_http", "/inspections", INSPECTION, 201, set(), HIDDEN),
    ("inspections_http", "/inspections", None, 200, set(), HIDDEN),
    ("inspection_http", "/inspections/{insp}", None, 200, set(), HIDDEN),
    ("findings_http", "/inspections/{insp}/findings", {"findings": []}, 200, set(), HIDDEN),
    ("compliance_http", "/providers/provider-test/compliance/2026", None, 200, set(), HIDDEN),
    ("penalty_http", "/penalties", PENALTY, 201, set(), HIDDEN),
    ("closure_http", "/penalties/{pen}/closure", {"note": "已整改"}, 200, set(), HIDDEN),
    ("penalties_http", "/penalties", None, 200, set(), HIDDEN),
    ("load_calendar_year", "/calendar/years", {}, 400, set(), set()),
    ("register_lookup_http", "/register/lookups", {"sponsor_key": "0" * 64, "domains": ["a.cn"]}, 200, set(), set()),
]
# Open to everyone, with or without a (valid) token: the public query answers "not filed" for an unknown domain.
PUBLIC = [("public_query_http", "/public/filings?domain=unfiled.example.cn", 404), ("openapi", "/openapi.json", 200),
          ("ops_healthz", "/healthz", 200), ("ops_metrics", "/metrics", 200)]
# X2: the MIIT check's public routes answer an unknown filing exactly as a wrong code (422) / an accepted resend.
PUBLIC_POSTS = [("miit_check_http", "/public/miit-checks/{id}", {"code": "123456", "id_tail": "00002X"}, 422),
                ("miit_resend_http", "/public/miit-checks/{id}/resend", {"id_tail": "00002X"}, 202)]
DECLARED = {r.name: r for r in routes(BureauService)}


def _expected(caller: str, success: int, allowed: set, hidden: set, outside: set) -> int:
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in hidden:
        return 404
    return success if caller in allowed - outside else 403


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) == {r[0] for r in ROUTES} | {"public_query_http"} | {r[0] for r in PUBLIC_POSTS}


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
    for route, path, body, success, hidden, outside in ROUTES:
        method = DECLARED[route].method
        allowed = allowed_callers(DECLARED[route].access, method)
        for caller, token in tokens.items():
            expected = _expected(caller, success, allowed, hidden, outside)
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
    for route, path, body, status in PUBLIC_POSTS:
        answers = {caller: _call(api.as_(tokens[caller]), "POST", path.format(**unknown), body).status_code
                   for caller in ("none", "sponsor", "reviewer", "tampered")}  # within the public limit a minute
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


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(api):
    assert_answered_in_the_callers_language(
        lambda headers: api.post("/inspections", json={"provider_id": "p", "kind": "scheduled", "year": 2026,
                                                       "sample_size": 0}, headers=headers),
        "sample_size", "range")
