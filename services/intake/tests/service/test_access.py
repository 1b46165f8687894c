"""Issue 8: every intake route x every kind of caller, over real HTTP: each refusal with the right status
(401 unauthenticated, expired or tampered; 403 a role or provider that may not; 404 a filing out of the
caller's scope, answered exactly like an unknown one), each allowed call succeeding; and personal data masked to
everybody but the sponsor, a full value opened by staff one at a time and recorded (issue 17)."""
import uuid

import pytest

from intake.service import IntakeService
from shared.platform.entrypoints import routes
from shared.testing.http import allowed_callers, identities
from shared.testing.samples import ACCESS, png, unit_filing

pytestmark = pytest.mark.service

REFUSED = {"none": 401, "expired": 401, "tampered": 401}
HIDDEN = {"other_sponsor", "other_province_reviewer"}
SIGN_IN = {"request_sign_in_code", "sign_in_sponsor"}
"""Open to anyone; proved in tests/workflow/test_sign_in.py with notify running (a code goes out by SMS)."""

# route, path (``{id}`` the target filing), target, success status, callers to whom the target is out of scope
# (404); who may call it comes from the route's declaration (everyone else 403). Targets: "submitted" (one filing
# of 京 for reads), "draft" / "complete" (a fresh draft of the owner sponsor per call, so that one call cannot
# spoil the next).
ROUTES = [
    ("guide", "/guide?kind=unit&unit_type=enterprise", None, 200, set()),
    ("contract_clause", "/contract-clause", None, 200, set()),
    ("create_filing", "/filings", None, 201, set()),
    ("get_filing_http", "/filings/{id}", "submitted", 200, HIDDEN),
    ("document_link", "/filings/{id}/documents/{doc}", "submitted", 200, HIDDEN),
    ("open_personal_value", "/filings/{id}/personal-data/contacts.mobile/access", "submitted", 200,
     {"other_province_reviewer"}),
    ("timeline", "/filings/{id}/timeline", "submitted", 200, HIDDEN),
    # X1: this container knows no bureau's address (BUREAU_URLS): 503 proves the call got past authorisation.
    ("filing_type", "/filings/{id}/type", "submitted", 503, HIDDEN),
    ("edit_filing", "/filings/{id}", "draft", 200, {"other_sponsor"}),
    ("set_access", "/filings/{id}/access", "draft", 200, set()),
    ("upload_document", "/filings/{id}/documents?kind=sponsor_document", "draft", 201, {"other_sponsor"}),
    ("accept_contract", "/filings/{id}/contract-acceptance", "draft", 200, {"other_sponsor"}),
    ("submit", "/filings/{id}/submit", "complete", 200, {"other_sponsor"}),
    ("approved_sites", "/approved-sites", None, 200, set()),
    # A draft cannot be changed (only an approved filing): 409 proves the call got past authorisation.
    ("request_change", "/filings/{id}/changes", "draft", 409, {"other_sponsor"}),
    ("cancel", "/filings/{id}/cancellation", "draft", 200, {"other_sponsor"}),
    # W5/W6 (issue 9). A draft has no hosting to change and no revisits to answer: 409/404 past authorisation.
    ("change_hosting", "/filings/{id}/hosting-changes", "draft", 409, set()),
    ("filing_revisits", "/filings/{id}/revisits", "submitted", 200, HIDDEN),
    ("answer_revisit", "/filings/{id}/revisits/" + str(uuid.UUID(int=0)) + "/answer", "draft", 404, {"other_sponsor"}),
    ("revisit_status", "/revisits", None, 200, set()),
    ("import_stock", "/stock/imports", None, 415, set()),
    ("stock_import", "/stock/imports/" + str(uuid.UUID(int=0)), None, 404, set()),
    ("stock_progress", "/stock/progress", None, 200, set()),
]
DECLARED = {r.name: r for r in routes(IntakeService)}
CALLERS = list(identities("provider-test"))


def _expected(name: str, caller: str, success: int, hidden: set) -> int:
    declared = DECLARED[name]
    if declared.access.public:
        return success
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in hidden:
        return 404
    return success if caller in allowed_callers(declared.access, declared.method) else 403


def _body(route: str, clause_sha256: str) -> dict:
    return {
        "create_filing": {"json": unit_filing()},
        "edit_filing": {"json": {"websites": unit_filing()["websites"]}},
        "set_access": {"json": ACCESS},
        "upload_document": {"data": png(), "headers": {"Content-Type": "image/png"}},
        "accept_contract": {"json": {"clause_sha256": clause_sha256, "accepted": True}},
        "cancel": {"json": {"reason": "站点关闭"}},
        "change_hosting": {"json": ACCESS},
        "answer_revisit": {"json": {"answer": "confirmed"}},
        "import_stock": {"data": b"x", "headers": {"Content-Type": "text/plain"}},
    }.get(route, {})


@pytest.fixture
def submitted(api, complete_draft):
    filing_id = complete_draft()
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200
    return filing_id


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) - SIGN_IN == {r[0] for r in ROUTES}


@pytest.mark.req("W4")
def test_every_route_by_every_caller(api, complete_draft, submitted):
    """One container for the whole table (a container costs seconds); failures name route and caller."""
    tokens = identities("provider-test")
    clause = api.get("/contract-clause").json()["clause_sha256"]
    doc = api.get(f"/filings/{submitted}").json()["documents"][0]["id"]
    failures, calls = [], 0
    for name, path, target, success, hidden in ROUTES:
        method = DECLARED[name].method
        for caller in CALLERS:
            expected = _expected(name, caller, success, hidden)
            if target == "submitted" or expected in (401, 403):  # refused before any filing is read
                filing_id = submitted
            elif target == "complete":
                filing_id = complete_draft()
            elif target == "draft":
                filing_id = api.post("/filings", json=unit_filing()).json()["id"]
            else:
                filing_id = None
            client = api.as_(tokens[caller])
            response = client.http.request(method, client.base_url + path.format(id=filing_id, doc=doc),
                                           **_with_headers(client, method, _body(name, clause)), timeout=30)
            calls += 1
            if response.status_code != expected:
                failures.append(f"{name} by {caller}: {response.status_code} != {expected} {response.text[:120]}")
            if caller in hidden and client.get(f"/filings/{uuid.uuid4()}").json() != response.json():
                failures.append(f"{name} by {caller}: a hidden filing answers differently from an unknown one")
    assert failures == []
    assert calls == len(ROUTES) * len(CALLERS)


def _with_headers(client, method: str, kwargs: dict) -> dict:
    headers = client._headers({"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {})
    return {**kwargs, "headers": {**headers, **kwargs.get("headers", {})}}


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_staff_see_personal_data_masked_and_the_sponsor_in_full(api, submitted):
    tokens = identities("provider-test")
    sample = unit_filing()
    seen = {caller: api.as_(tokens[caller]).get(f"/filings/{submitted}").json()["data"]
            for caller in ("sponsor", "precheck", "auditor", "onsite_verifier", "supervisor", "reviewer")}
    fields = {"mobile": ("contacts", "mobile"), "email": ("contacts", "email"),
              "address": ("contacts", "postal_address"), "office_phone": ("contacts", "office_phone"),
              "id_number": ("responsible_person", "document_number"), "name": ("responsible_person", "name")}
    for what, (section, key) in fields.items():
        full = {caller: data[section][key] == sample[section][key] for caller, data in seen.items()}
        assert full == {"sponsor": True, "precheck": False, "auditor": False,
                        "onsite_verifier": False, "supervisor": False, "reviewer": False}, what
    assert all(data["contacts"]["mobile"][:3] == "138" for data in seen.values())
    edited = api.as_(tokens["sponsor"]).patch(f"/filings/{api.post('/filings', json=sample).json()['id']}",
                                              json={"contacts": {"email": "proofread@example.com.cn"}})
    assert edited.json()["data"]["contacts"]["email"] == "proofread@example.com.cn"


@pytest.mark.req("W4")
def test_stored_idempotent_answers_keep_personal_data_masked(api, submitted, intake_config):
    """A POST's answer is stored for replays (Idempotency-Key): the sponsor's full view is never one of them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(intake_config["DB_URL"])
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT body::text FROM idempotency_keys")).scalars().all()
    engine.dispose()
    sample = unit_filing()
    assert stored
    for value in (sample["contacts"]["mobile"], sample["responsible_person"]["document_number"],
                  sample["contacts"]["email"]):
        assert all(value not in answer for answer in stored)


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_staff_open_one_personal_value_and_every_opening_is_recorded(api, submitted, intake_config):
    from sqlalchemy import create_engine, text

    tokens = identities("provider-test")
    sample = unit_filing()
    verifier = api.as_(tokens["onsite_verifier"])
    opened = verifier.post(f"/filings/{submitted}/personal-data/responsible_person.document_number/access")
    assert opened.status_code == 200, opened.text
    assert opened.json()["value"] == sample["responsible_person"]["document_number"]
    assert opened.json()["field"] == "responsible_person.document_number" and opened.json()["version"] == 1
    reviewer = api.as_(tokens["reviewer"])
    assert reviewer.post(f"/filings/{submitted}/personal-data/contacts.mobile/access").json()["value"] == (
        sample["contacts"]["mobile"])
    unknown = verifier.post(f"/filings/{submitted}/personal-data/websites.0.name/access")
    assert unknown.status_code == 404 and unknown.json()["error"]["errors"][0]["field"] == "field"
    hidden = api.as_(tokens["other_province_reviewer"]).post(
        f"/filings/{submitted}/personal-data/contacts.mobile/access")
    assert hidden.status_code == 404
    assert api.as_(tokens["precheck"]).post(
        f"/filings/{submitted}/personal-data/contacts.mobile/access").status_code == 403
    engine = create_engine(intake_config["DB_URL"])
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT field, version, accessed_by, role FROM personal_data_accesses ORDER BY id")).all()
        stored = connection.execute(text("SELECT body::text FROM idempotency_keys")).scalars().all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("responsible_person.document_number", 1, "onsite_verifier:verifier-1", "onsite_verifier"),
        ("contacts.mobile", 1, "reviewer:reviewer-1", "reviewer"),
    ]
    assert all(sample["responsible_person"]["document_number"] not in answer for answer in stored)


@pytest.mark.req("W4")
@pytest.mark.req("B1")
def test_a_reviewer_opens_its_provinces_scans_only_and_every_opening_is_recorded(api, submitted, intake_config):
    from sqlalchemy import create_engine, text

    tokens = identities("provider-test")
    doc = api.get(f"/filings/{submitted}").json()["documents"][0]["id"]
    opened = api.as_(tokens["reviewer"]).get(f"/filings/{submitted}/documents/{doc}")
    assert opened.status_code == 200 and opened.json()["expires_in"] == 300
    assert opened.json()["document"]["id"] == doc and opened.json()["url"].startswith("http")
    refused = api.as_(tokens["other_province_reviewer"]).get(f"/filings/{submitted}/documents/{doc}")
    assert refused.status_code == 404
    assert api.as_(tokens["reviewer"]).get(f"/filings/{submitted}/documents/{uuid.uuid4()}").status_code == 404
    engine = create_engine(intake_config["DB_URL"])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT scan_id, accessed_by, role FROM document_accesses")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(doc, "reviewer:reviewer-1", "reviewer")]

