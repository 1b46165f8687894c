"""Issue 8: every verification route x every kind of caller, over real HTTP: 401 unauthenticated, expired or
tampered; 403 a role (or another provider's staff, W1) that may not; 404 a filing or sponsor's file out of the
caller's scope (another province's reviewer, B1), answered exactly like an unknown one; each allowed call
succeeding. The routes are read from the service, so a route added without a row here fails."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.intake import FILING_SUBMITTED
from shared.contracts.precheck import PRECHECK_PASSED
from shared.testing.faces import backdrop_photo
from shared.testing.http import identities
from shared.testing.openapi_conformance import http_entrypoints
from shared.testing.samples import RESIDENT_ID, filing_submitted_data, png, unit_filing, uscc
from verification.service import VerificationService

pytestmark = pytest.mark.service

ONSITE = {"onsite_verifier", "supervisor"}
READERS = ONSITE | {"reviewer", "auditor"}
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

# route, method, path, body, success status, allowed callers, callers to whom the target is out of scope (404);
# everyone else 403. ``{id}`` is a window with a kept copy and looked-up domains, ``{bare}`` one with nothing done
# (its decision is 422: incomplete), ``{ref}`` the sponsor's file, ``{ev}`` the kept copy, ``{name}`` the looked-up
# domain. A domain owned by the sponsor needs no certificate (409) and has none to confirm (409), and no form is
# sealed yet (404 naming ``copy``): each proves the call got past authorisation into the use case.
ROUTES = [
    ("list_cases", "GET", "/cases", None, 200, {"onsite_verifier", "supervisor", "auditor"}, set()),
    ("get_case", "GET", "/filings/{id}", None, 200, READERS, HIDDEN),
    ("get_steps", "GET", "/filings/{id}/steps", None, 200, {"onsite_verifier", "supervisor", "auditor"}, set()),
    ("staff_work", "GET", "/staff-work?" + PERIOD, None, 200, {"supervisor", "auditor"}, set()),
    ("staff_list", "GET", "/staff", None, 200, {"supervisor", "auditor"}, set()),
    ("staff_member", "PUT", "/staff/head-1", {"json": {"name": "主管甲", "roles": ["supervisor"]}}, 200,
     {"supervisor"}, set()),
    ("staff_quality", "GET", "/staff-quality?" + PERIOD, None, 200, {"supervisor", "auditor"}, set()),
    ("book", "POST", "/filings/{id}/appointment", "appointment", 200, ONSITE, set()),
    ("photo", "POST", "/filings/{id}/photo", "photo", 200, ONSITE, set()),
    ("copy", "POST", "/filings/{id}/copies/sponsor", "scan", 200, ONSITE, set()),
    ("originals", "POST", "/filings/{id}/originals", {"json": ORIGINALS}, 200, ONSITE, set()),
    ("correction", "POST", "/filings/{id}/corrections",
     {"json": {"field": "contacts.postal_address", "after": "北京市海淀区中关村大街1号"}}, 200, ONSITE, set()),
    ("domain_checks", "POST", "/filings/{id}/domain-checks", None, 200, ONSITE, set()),
    ("domain_certificate", "POST", "/filings/{id}/domains/{name}/certificate", "scan", 409, ONSITE, set()),
    ("domain_confirmation", "POST", "/filings/{id}/domains/{name}/confirmation", None, 409, ONSITE, set()),
    ("access", "PUT", "/filings/{id}/access", {"json": ACCESS}, 200, ONSITE, set()),
    ("agreement", "POST", "/filings/{id}/agreement", {"json": {"signed_by": "张三", "signature": "c2lnbmVk"}}, 200,
     ONSITE, set()),
    ("decision", "POST", "/filings/{bare}/decision", None, 422, ONSITE, set()),
    ("form_validation", "GET", "/filings/{id}/forms/provider/validation", None, 404, READERS, HIDDEN),
    ("archive", "GET", "/archive/{ref}", None, 200, READERS, HIDDEN),
    ("evidence", "GET", "/archive/{ref}/evidence/{ev}", None, 200, READERS, HIDDEN),
    ("export", "GET", "/archive/{ref}/export", None, 200, {"supervisor", "reviewer", "auditor"}, HIDDEN),
    ("archive_accesses", "GET", "/archive/{ref}/accesses", None, 200, {"supervisor", "auditor"}, set()),
]
PUBLIC = [("openapi", "/openapi.json"), ("ops_healthz", "/healthz"), ("ops_metrics", "/metrics")]
SUCCESS_FIELD = {"domain_certificate": "domain", "domain_confirmation": "domain", "decision": None,
                 "form_validation": "copy"}
"""The field a non-2xx success names (``None``: any field but the caller's identity or the filing's)."""


def _expected(caller: str, success: int, allowed: set, hidden: set) -> int:
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in allowed:
        return success
    return 404 if caller in hidden else 403


def _body(kind) -> dict:
    if kind == "appointment":
        return {"json": {"at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}}
    if kind == "photo":
        return {"data": backdrop_photo()}
    if kind == "scan":
        return {"data": png()}
    return kind or {}


def test_the_table_covers_every_route_of_the_service():
    assert {r[0] for r in ROUTES} | {name for name, _ in PUBLIC} == http_entrypoints(VerificationService)


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_every_route_by_every_caller(open_window, staff):
    """One container for the whole table; failures name route and caller."""
    now = datetime.now(UTC).isoformat()
    filing_id, bare = open_window(decided_at=now), open_window(decided_at=now)
    assert staff.post(f"/filings/{filing_id}/copies/responsible_person", data=png()).status_code == 200
    case = staff.post(f"/filings/{filing_id}/domain-checks").json()
    ref, name = case["sponsor_ref"], case["domains"][0]["domain"]
    ev = staff.get(f"/archive/{ref}").json()["evidence"][0]["id"]
    ids = {"id": filing_id, "bare": bare, "ref": ref, "ev": ev, "name": name}
    unknown = {"id": str(uuid.uuid4()), "bare": str(uuid.uuid4()), "ref": uuid.uuid4().hex * 2,
               "ev": str(uuid.uuid4()), "name": name}
    tokens = identities("provider-test")
    failures, calls = [], 0
    for route, method, path, body, success, allowed, hidden in ROUTES:
        for caller, token in tokens.items():
            expected = _expected(caller, success, allowed, hidden)
            client = staff.as_(token)
            response = _call(client, method, path.format(**ids), _body(body))
            calls += 1
            if response.status_code != expected:
                failures.append(f"{route} by {caller}: {response.status_code} != {expected} {response.text[:160]}")
            elif expected >= 400 and caller in allowed:
                field = response.json()["error"]["errors"][0]["field"]
                if field in ("Authorization", "filing_id", "sponsor_ref") or field != (SUCCESS_FIELD[route] or field):
                    failures.append(f"{route} by {caller}: refused on {field}, not in the use case")
            elif caller in hidden:
                same = _call(client, method, path.format(**unknown), _body(body))
                if same.status_code != 404 or same.json() != response.json():
                    failures.append(f"{route} by {caller}: out of scope answers differently from unknown")
        for route, path in PUBLIC:
            answers = {caller: staff.as_(token).get(path).status_code for caller, token in tokens.items()}
            if set(answers.values()) != {200}:
                failures.append(f"{route}: {answers}")
    assert failures == []
    assert calls == len(ROUTES) * len(tokens)


def _call(client, method: str, url: str, kwargs: dict):
    headers = client._headers({"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {})
    return client.http.request(method, client.base_url + url, headers=headers, timeout=30, **kwargs)


@pytest.mark.req("W4")
@pytest.mark.req("W1")
def test_another_providers_filing_and_its_steps_read_as_unknown_to_staff(send, crypto, staff, as_role, wait):
    """A filing of another provider (its submission says so): this provider's staff find neither the case nor
    its steps nor the sponsor's file (404, as unknown); the auditor, everywhere, does."""
    filing_id = str(uuid.uuid4())
    payload = {**filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id),
               "provider_id": "provider-other"}
    send("intake", FILING_SUBMITTED, payload, filing_id)
    mobile = crypto.cipher().decrypt(payload["contacts"]["mobile"], context="event.contacts.mobile")
    send("precheck", PRECHECK_PASSED, {
        "filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": datetime.now(UTC).isoformat(),
        "decided_by": "precheck:auto", "reasons": [], "mobile": crypto.cipher().encrypt(mobile, context="event.mobile"),
        "rulebook_version": "2026.1"}, filing_id)
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
