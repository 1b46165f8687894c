"""Issue 8: every audit route x every kind of caller, over real HTTP: 401 unauthenticated, expired or tampered;
403 a role that may not (the filing center's auditors draw samples, phone and import; bureaus' reviewers read
the reports, P10; sponsors, provider staff and ops read the published rules only, ops also the trail's
integrity); each allowed call succeeding. Who may call a route comes from its declaration; a route added without a
row here fails. And the longest caller's longest ``Idempotency-Key`` is answered once."""
import time
import uuid

import pytest
from sqlalchemy import text

from audit.service import AuditService
from shared.platform.entrypoints import routes
from shared.platform.idempotency import MAX_KEY_LENGTH
from shared.testing.http import allowed_callers, assert_answered_in_the_callers_language, identities
from shared.testing.http import token as signed

pytestmark = pytest.mark.service

REFUSED = {"none": 401, "expired": 401, "tampered": 401}
CSV = {"data": b"domain\nsite.example.cn\n", "headers": {"Content-Type": "text/csv"}}

# route, path, request keyword arguments, success status; who may call it comes from the route's declaration
# (audit serves no single provider: staff of any provider read the rules), everyone else 403.
# ``{sample}`` / ``{item}``: a sample of November's one approved filing and its item (recording the same phone
# result again answers the recorded sample).
ROUTES = [
    ("verify_trail", "/trail/verification", {}, 200),
    ("draw_sample", "/samples", {"json": {"month": "2026-11", "seed": 7}}, 201),
    ("get_sample", "/samples/{sample}", {}, 200),
    ("phone_check", "/samples/{sample}/items/{item}/phone-check", {"json": {"result": "confirmed"}}, 200),
    ("monthly_report", "/reports/monthly/2026-11", {}, 200),
    ("import_inventory", "/providers/provider-test/inventory", CSV, 200),
    ("quarterly_report", "/reports/quarterly/2026Q4", {}, 200),
    ("statistics", "/statistics/2026-11?format=csv", {}, 200),
    ("bulletin", "/bulletin/2026-11", {}, 200),
    ("penalties", "/penalties/summary", {}, 200),
    ("rules", "/rules", {}, 200),
    ("run_shell_site_check", "/shell-sites/checks", {}, 200),
    ("shell_sites", "/providers/provider-test/shell-sites", {}, 200),
]
PUBLIC = ["/openapi.json", "/healthz", "/metrics"]
DECLARED = {r.name: r for r in routes(AuditService)}


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) == {r[0] for r in ROUTES}


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
    for route, path, kwargs, success in ROUTES:
        method = DECLARED[route].method
        allowed = allowed_callers(DECLARED[route].access, method, tenant=False)
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
    for path in PUBLIC:
        answers = {caller: api.as_(token).get(path).status_code for caller, token in tokens.items()}
        if set(answers.values()) != {200}:
            failures.append(f"{path}: {answers}")
    assert failures == []
    assert calls == len(ROUTES) * len(tokens)
    checked = api.get(f"/samples/{sample}").json()["items"][0]
    assert (checked["phone_result"], checked["checked_by"]) == ("confirmed", "auditor:auditor-1")


def test_the_longest_key_of_a_long_caller_draws_once_and_replays(api):
    """Issue 17 point 4: the longest caller with the longest ``Idempotency-Key`` on the real HTTP interface and
    PostgreSQL; the scoped key is longer than the key column, so it is stored as a digest."""
    auditor = api.as_(signed("auditor", "a" * 100))
    longest_key = "k" * MAX_KEY_LENGTH
    first = auditor.post("/samples", key=longest_key, json={"month": "2026-11", "seed": 7})
    replay = auditor.post("/samples", key=longest_key, json={"month": "2026-11", "seed": 7})
    assert first.status_code == 201, first.text
    assert replay.status_code == 201 and replay.json() == first.json()


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(api):
    answers = assert_answered_in_the_callers_language(
        lambda headers: api.post("/samples", json={"month": "November"}, headers=headers), "month", "format")
    assert answers[None]["message"] == "月份的格式如 2026-11。"
    assert answers["en"]["message"] == "A month looks like 2026-11."
