"""Issue 8: every audit route x every kind of caller, over real HTTP: 401 unauthenticated, expired or tampered;
403 a role that may not (the filing center's auditors draw samples, phone and import; bureaus' reviewers read
the reports, P10; sponsors, provider staff and ops read the published rules only, ops also the trail's
integrity); each allowed call succeeding. The routes are read from the service, so a route added without a row
here fails."""
import time
import uuid

import pytest
from sqlalchemy import text

from audit.service import AuditService
from shared.testing.http import identities
from shared.testing.openapi_conformance import http_entrypoints

pytestmark = pytest.mark.service

AUDITOR = {"auditor"}
READERS = {"auditor", "reviewer", "other_province_reviewer"}
TOKENED = {"sponsor", "other_sponsor", "precheck", "onsite_verifier", "supervisor", "other_provider_verifier",
           "reviewer", "other_province_reviewer", "auditor", "ops"}
REFUSED = {"none": 401, "expired": 401, "tampered": 401}
CSV = {"data": b"domain\nsite.example.cn\n", "headers": {"Content-Type": "text/csv"}}

# route, method, path, request keyword arguments, success status, allowed callers; everyone else 403.
# ``{sample}`` / ``{item}``: a sample of November's one approved filing and its item (recording the same phone
# result again answers the recorded sample).
ROUTES = [
    ("verify_trail", "GET", "/trail/verification", {}, 200, {"auditor", "ops"}),
    ("draw_sample", "POST", "/samples", {"json": {"month": "2026-11", "seed": 7}}, 201, AUDITOR),
    ("get_sample", "GET", "/samples/{sample}", {}, 200, AUDITOR),
    ("phone_check", "POST", "/samples/{sample}/items/{item}/phone-check", {"json": {"result": "confirmed"}}, 200,
     AUDITOR),
    ("monthly_report", "GET", "/reports/monthly/2026-11", {}, 200, READERS),
    ("import_inventory", "PUT", "/providers/provider-test/inventory", CSV, 200, AUDITOR),
    ("quarterly_report", "GET", "/reports/quarterly/2026Q4", {}, 200, READERS),
    ("statistics", "GET", "/statistics/2026-11?format=csv", {}, 200, READERS),
    ("bulletin", "GET", "/bulletin/2026-11", {}, 200, READERS),
    ("penalties", "GET", "/penalties/summary", {}, 200, READERS),
    ("rules", "GET", "/rules", {}, 200, TOKENED),
]
PUBLIC = [("openapi", "/openapi.json"), ("ops_healthz", "/healthz"), ("ops_metrics", "/metrics")]


def test_the_table_covers_every_route_of_the_service():
    assert {r[0] for r in ROUTES} | {name for name, _ in PUBLIC} == http_entrypoints(AuditService)


def _sample_with_an_item(api, approve, engine) -> tuple[str, int]:
    approve(approved_at="2026-11-20T09:30:00+08:00")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM check_results")).scalar_one():
                break
        time.sleep(0.1)
    sample = api.post("/samples", json={"month": "2026-11", "seed": 7}).json()
    return sample["sample_id"], sample["items"][0]["item_id"]


@pytest.mark.req("W4")
@pytest.mark.req("C1")
def test_every_route_by_every_caller(api, approve, engine):
    sample, item = _sample_with_an_item(api, approve, engine)
    tokens = identities("provider-test")
    failures, calls = [], 0
    for route, method, path, kwargs, success, allowed in ROUTES:
        for caller, token in tokens.items():
            expected = REFUSED.get(caller, success if caller in allowed else 403)
            client = api.as_(token)
            headers = client._headers({"Idempotency-Key": uuid.uuid4().hex} if method in ("POST", "PUT") else {})
            response = client.http.request(
                method, client.base_url + path.format(sample=sample, item=item),
                headers={**headers, **kwargs.get("headers", {})}, timeout=30,
                **{k: v for k, v in kwargs.items() if k != "headers"})
            calls += 1
            if response.status_code != expected:
                failures.append(f"{route} by {caller}: {response.status_code} != {expected} {response.text[:160]}")
    for route, path in PUBLIC:
        answers = {caller: api.as_(token).get(path).status_code for caller, token in tokens.items()}
        if set(answers.values()) != {200}:
            failures.append(f"{route}: {answers}")
    assert failures == []
    assert calls == len(ROUTES) * len(tokens)
    checked = api.get(f"/samples/{sample}").json()["items"][0]
    assert (checked["phone_result"], checked["checked_by"]) == ("confirmed", "auditor:auditor-1")
