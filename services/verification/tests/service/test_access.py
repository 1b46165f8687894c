"""Issue 8: every verification route x every kind of caller, over real HTTP: 401 unauthenticated, expired or
tampered; 403 a role (or another provider's staff, W1) that may not; 404 a filing or sponsor's file out of the
caller's scope (another province's reviewer, B1), answered exactly like an unknown one; each allowed call
answered by the use case. Who may call each route is read from its declaration, and a route added without a row
here fails."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.intake import FILING_CANCELLED
from shared.platform.entrypoints import routes
from shared.testing.http import allowed_callers, assert_answered_in_the_callers_language, identities
from shared.testing.samples import RESIDENT_ID, filing_submitted_data, png, unit_filing, uscc
from verification.service import VerificationService

pytestmark = pytest.mark.service

HIDDEN = {"other_province_reviewer"}
REFUSED = {"none": 401, "expired": 401, "tampered": 401}
PERIOD = "since=2020-01-01T00:00:00%2B08:00&until=2100-01-01T00:00:00%2B08:00"
ORIGINALS = {
    "sponsor": {"name": unit_filing()["sponsor"]["name"], "document_type": "business_licence",
                "document_number": uscc()},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
    "person_present_confirmed": True,
}
ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91"]}

EMPTY_YEAR = {"year": 2030, "holidays": [], "workdays": [], "source": "测试"}
"""A notice without holidays: refused by the calendar's rules in the use case (422 naming ``schedule``)."""
REFUSED_ON = {"form_validation": "copy", "load_calendar_year": "schedule"}

# route, path, body, success status, callers to whom the target is out of scope (404); who may call it comes from
# the route's declaration (everyone else 403). ``{id}`` is an open window with a kept copy, ``{ref}`` its sponsor's
# file, ``{ev}`` the kept copy; ``{closed}`` a window the sponsor cancelled, on which every on-site step is refused
# by the use case (409 naming ``state``), and no form is sealed yet (404 naming ``copy``): each proves the call got
# past authorisation into the use case without the work of a real step (photo checks, sealing, lookups), which the
# other service tests prove.
ROUTES = [
    ("list_cases", "/cases", None, 200, set()),
    ("get_case", "/filings/{id}", None, 200, HIDDEN),
    ("get_steps", "/filings/{id}/steps", None, 200, set()),
    ("staff_work", "/staff-work?" + PERIOD, None, 200, set()),
    ("staff_list", "/staff", None, 200, set()),
    ("staff_member", "/staff/head-1", {"json": {"name": "主管甲", "roles": ["supervisor"]}}, 200, set()),
    ("staff_quality", "/staff-quality?" + PERIOD, None, 200, set()),
    ("book", "/filings/{closed}/appointment", "appointment", 409, set()),
    ("photo", "/filings/{closed}/photo", "scan", 409, set()),
    ("copy", "/filings/{closed}/copies/sponsor", "scan", 409, set()),
    ("face_consent", "/filings/{closed}/face-consent", {"json": {"consent": True}}, 409, set()),
    ("face_comparison", "/filings/{closed}/face-comparison?source=card_scan", "scan", 409, set()),
    ("face_decision", "/filings/{closed}/face-decision", {"json": {"agrees": True, "reason": "目视一致"}}, 409, set()),
    ("originals", "/filings/{closed}/originals", {"json": ORIGINALS}, 409, set()),
    ("correction", "/filings/{closed}/corrections",
     {"json": {"field": "contacts.postal_address", "after": "北京市海淀区中关村大街1号"}}, 409, set()),
    ("domain_checks", "/filings/{closed}/domain-checks", None, 409, set()),
    ("domain_certificate", "/filings/{closed}/domains/example.cn/certificate", "scan", 409, set()),
    ("domain_confirmation", "/filings/{closed}/domains/example.cn/confirmation", None, 409, set()),
    ("access", "/filings/{closed}/access", {"json": ACCESS}, 409, set()),
    ("agreement", "/filings/{closed}/agreement", {"json": {"signed_by": "张三", "signature": "c2lnbmVk"}}, 409,
     set()),
    ("decision", "/filings/{closed}/decision", None, 409, set()),
    ("form_validation", "/filings/{id}/forms/provider/validation", None, 404, HIDDEN),
    ("archive", "/archive/{ref}", None, 200, HIDDEN),
    ("evidence", "/archive/{ref}/evidence/{ev}", None, 200, HIDDEN),
    ("export", "/archive/{ref}/export", None, 200, HIDDEN),
    ("archive_accesses", "/archive/{ref}/accesses", None, 200, set()),
    ("load_calendar_year", "/calendar/years", {"json": EMPTY_YEAR}, 422, set()),
]
DECLARED = {r.name: r for r in routes(VerificationService)}
PLATFORM = ["/openapi.json", "/healthz", "/metrics"]
STEP_REFUSED = "state"
"""The field an on-site step on the cancelled window is refused on (others: ``REFUSED_ON``)."""


def _expected(caller: str, success: int, allowed: set, hidden: set) -> int:
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in hidden:
        return 404
    return success if caller in allowed else 403


def _bodies() -> dict:
    return {"appointment": {"json": {"at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}},
            "scan": {"data": png()}}


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) == {r[0] for r in ROUTES}


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_every_route_by_every_caller(open_window, staff, send, wait, clock):
    """One container for the whole table; failures name route and caller."""
    now = datetime.now(UTC).isoformat()
    filing_id, closed = open_window(decided_at=now), open_window(decided_at=now)
    send("intake", FILING_CANCELLED, {"filing_id": closed, "provider_id": "provider-test", "province": "京",
                                      "filing_number": None, "reason": "changed mind", "cancelled_at": clock.iso(),
                                      "cancelled_by": "sponsor"}, closed)
    case = staff.post(f"/filings/{filing_id}/copies/sponsor", data=png()).json()
    ref = case["sponsor_ref"]
    ev = staff.get(f"/archive/{ref}").json()["evidence"][0]["id"]
    assert wait(lambda: staff.get(f"/filings/{closed}").json()["state"] == "cancelled")
    ids = {"id": filing_id, "closed": closed, "ref": ref, "ev": ev}
    unknown = {"id": str(uuid.uuid4()), "closed": str(uuid.uuid4()), "ref": uuid.uuid4().hex * 2,
               "ev": str(uuid.uuid4())}
    tokens = identities("provider-test")
    bodies = _bodies()
    failures, calls = [], 0
    for route, path, body, success, hidden in ROUTES:
        method = DECLARED[route].method
        allowed = allowed_callers(DECLARED[route].access, method)
        kwargs = bodies[body] if isinstance(body, str) else body or {}
        for caller, token in tokens.items():
            expected = _expected(caller, success, allowed, hidden)
            client = staff.as_(token)
            response = _call(client, method, path.format(**ids), kwargs)
            calls += 1
            if response.status_code != expected:
                failures.append(f"{route} by {caller}: {response.status_code} != {expected} {response.text[:160]}")
            elif expected >= 400 and caller in allowed and caller not in hidden:
                field = response.json()["error"]["errors"][0]["field"]
                if field != REFUSED_ON.get(route, STEP_REFUSED):
                    failures.append(f"{route} by {caller}: refused on {field}, not in the use case")
            elif caller in hidden:
                same = _call(client, method, path.format(**unknown), kwargs)
                if same.status_code != 404 or same.json() != response.json():
                    failures.append(f"{route} by {caller}: out of scope answers differently from unknown")
    for path in PLATFORM:
        answers = {caller: staff.as_(token).get(path).status_code for caller, token in tokens.items()}
        if set(answers.values()) != {200}:
            failures.append(f"{path}: {answers}")
    assert failures == []
    assert calls == len(ROUTES) * len(tokens)


def _call(client, method: str, url: str, kwargs: dict):
    headers = client._headers({"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {})
    return client.http.request(method, client.base_url + url, headers=headers, timeout=30, **kwargs)


@pytest.mark.req("W4")
@pytest.mark.req("W1")
def test_another_providers_filing_and_its_steps_read_as_unknown_to_staff(pass_filing, crypto, staff, as_role,
                                                                         wait):
    """A filing of another provider (its submission says so): this provider's staff find neither the case nor
    its steps nor the sponsor's file (404, as unknown); the auditor, everywhere, does."""
    filing_id = str(uuid.uuid4())
    pass_filing(filing_id, {**filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id),
                            "provider_id": "provider-other"}, decided_at=datetime.now(UTC).isoformat())
    auditor = as_role("auditor", "auditor-1")
    assert wait(lambda: auditor.get(f"/filings/{filing_id}").status_code == 200), "window never opened"
    ref = auditor.get(f"/filings/{filing_id}").json()["sponsor_ref"]
    unknown = staff.get(f"/filings/{uuid.uuid4()}").json()
    for client in (staff, as_role("supervisor", "head-1")):
        for path in (f"/filings/{filing_id}", f"/filings/{filing_id}/steps"):
            answer = client.get(path)
            assert (answer.status_code, answer.json()) == (404, unknown), path
        assert client.get(f"/archive/{ref}").status_code == 404
        assert filing_id not in {c["filing_id"] for c in client.get("/cases").json()["items"]}
    assert auditor.get(f"/filings/{filing_id}/steps").status_code == 200


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(as_role):
    supervisor = as_role("supervisor", "supervisor-1")
    assert_answered_in_the_callers_language(
        lambda headers: supervisor.put("/staff/verifier-2", json={"name": "", "roles": 5}, headers=headers),
        "roles", "type")
