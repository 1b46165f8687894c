"""W1 over the real broker and PostgreSQL: supervisors keep the verification department (staff, roles, the
supervisor responsible); every decision names who made it, and each member's filing quality in a period (filings
handled, decisions the bureau returned or a filing-center finding contradicted, corrections, breached deadlines)
comes out as JSON and CSV for supervisors and auditors only (every caller of these routes: test_access.py)."""
import csv
import io
import uuid

import pytest
from sqlalchemy import create_engine, text

from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.bureau import FILING_RETURNED
from shared.contracts.precheck import PRECHECK_DEADLINE_BREACHED, PRECHECK_FAILED
from shared.testing.faces import backdrop_photo
from shared.testing.samples import RESIDENT_ID, png, unit_filing, uscc

pytestmark = [pytest.mark.service, pytest.mark.clock]

ORIGINALS = {
    "sponsor": {"name": unit_filing()["sponsor"]["name"], "document_type": "business_licence",
                "document_number": uscc()},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
    "person_present_confirmed": True,
}
ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91"]}
EVER = {"since": "2020-01-01T00:00:00+08:00", "until": "2100-01-01T00:00:00+08:00"}
MEMBERS = {
    "head-1": {"name": "主管甲", "roles": ["supervisor"]},
    "verifier-1": {"name": "核验员乙", "roles": ["onsite_verifier"], "supervisor_id": "head-1"},
    "pc-1": {"name": "初审员丙", "roles": ["precheck"], "supervisor_id": "head-1"},
}


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _register(supervisor) -> None:
    for staff_id, body in MEMBERS.items():
        _ok(supervisor.put(f"/staff/{staff_id}", json=body))


def _codes(response) -> list[tuple[str, str, str]]:
    return [(e["field"], e["code"], e["rule"]) for e in response.json()["error"]["errors"]]


@pytest.mark.req("W1")
def test_supervisors_keep_the_department(as_role, verification_config):
    supervisor = as_role("supervisor", "head-1")
    _register(supervisor)
    assert _codes(supervisor.put("/staff/pc-2", json={"name": "丁", "roles": ["precheck"]})) == [
        ("supervisor_id", "required", "W1")]
    unknown_role = supervisor.put("/staff/pc-2", json={"name": "丁", "roles": ["cashier"], "supervisor_id": "head-1"})
    assert unknown_role.status_code == 400 and unknown_role.json()["error"]["errors"][0]["field"] == "roles.0"

    department = _ok(as_role("auditor", "a-1").get("/staff"))
    assert [(m["staff_id"], m["name"], m["roles"], m["supervisor_id"], m["active"]) for m in department["staff"]] == [
        ("head-1", "主管甲", ["supervisor"], None, True),
        ("pc-1", "初审员丙", ["precheck"], "head-1", True),
        ("verifier-1", "核验员乙", ["onsite_verifier"], "head-1", True)]
    assert department["staff"][0]["updated_by"] == "supervisor:head-1"
    engine = create_engine(verification_config["DB_URL"])
    with engine.connect() as connection:
        stored = connection.execute(text("select name from staff")).scalars().all()
    engine.dispose()
    assert stored and not any(name in "".join(stored) for name in ("主管甲", "核验员乙", "初审员丙"))  # sealed


@pytest.mark.req("W1")
def test_each_members_quality_in_a_period_as_json_and_csv(as_role, open_window, send, tap, wait, clock):
    supervisor = as_role("supervisor", "head-1")
    _register(supervisor)
    verifier = as_role("onsite_verifier", "verifier-1")

    # Filing A: passed by pc-1, verified on site by verifier-1 with one correction, returned by the bureau,
    # verified again, then contradicted by a filing-center finding.
    # The period asked for below runs from 25 to 10 days ago: the passes, the failure and the breach lie in it,
    # the on-site work and the bureau's return (today) after it.
    filing_a = open_window(decided_by="precheck:pc-1", decided_at=clock.iso(days=-20))
    _ok(verifier.post(f"/filings/{filing_a}/photo", data=backdrop_photo(faces=(33,))))
    for subject in ("sponsor", "responsible_person"):
        _ok(verifier.post(f"/filings/{filing_a}/copies/{subject}", data=png()))
    _ok(verifier.post(f"/filings/{filing_a}/originals", json=ORIGINALS))
    _ok(verifier.post(f"/filings/{filing_a}/domain-checks"))
    _ok(verifier.put(f"/filings/{filing_a}/access", json=ACCESS))
    _ok(verifier.post(f"/filings/{filing_a}/corrections",
                      json={"field": "contacts.postal_address", "after": "北京市海淀区中关村大街2号"}))
    agreement = {"signed_by": "张三", "signature": "c2lnbmVk"}
    _ok(verifier.post(f"/filings/{filing_a}/agreement", json=agreement))
    assert _ok(verifier.post(f"/filings/{filing_a}/decision"))["decided_by"] == "onsite_verifier:verifier-1"
    send("bureau", FILING_RETURNED, {
        "filing_id": filing_a, "version": 1, "submission": 1, "provider_id": "provider-test", "province": "京",
        "returned_at": clock.iso(), "returned_by": "bureau:reviewer-7",
        "reasons": [{"field": "websites.0.name", "code": "unclear", "message": "Name unclear.", "rule": "B1"}]},
        filing_a)
    assert wait(lambda: verifier.get(f"/filings/{filing_a}").json()["state"] == "window_open")
    _ok(verifier.post(f"/filings/{filing_a}/agreement", json=agreement, key="sign-again"))
    _ok(verifier.post(f"/filings/{filing_a}/decision", key="decide-again"))
    send("audit", AUDIT_FINDING_RAISED, {
        "finding_id": str(uuid.uuid4()), "filing_id": filing_a, "filing_number": "京ICP备2026000001号",
        "provider_id": "provider-test", "province": "京", "check": "id_check", "rules_version": "2026.1",
        "reasons": [{"field": "responsible_person.document_number", "code": "authority_mismatch",
                     "message": "Public security does not know this name with this ID number.", "rule": "P9"}],
        "raised_at": "2100-01-01T00:00:00+08:00"}, filing_a)
    # Filing B failed by pc-1; C breached P2 while pc-1 held it, D while nobody did.
    filing_b, filing_c, filing_d = (str(uuid.uuid4()) for _ in range(3))
    send("precheck", PRECHECK_FAILED, {
        "filing_id": filing_b, "version": 1, "attempt": 1, "decided_at": clock.iso(days=-19),
        "decided_by": "precheck:pc-1",
        "reasons": [{"field": "contacts.mobile", "code": "not_confirmed", "message": "Not confirmed.", "rule": "P2"}],
        "mobile": "v1:sealed-sample", "rulebook_version": "2026.1"}, filing_b)
    for filing_id, claimed_by in ((filing_c, "precheck:pc-1"), (filing_d, None)):
        send("precheck", PRECHECK_DEADLINE_BREACHED, {
            "filing_id": filing_id, "version": 1, "submitted_at": clock.iso(days=-24),
            "deadline": clock.iso(days=-17), "provisional": False, "claimed_by": claimed_by}, filing_id)

    def report():
        got = _ok(supervisor.get("/staff-quality", params=EVER))
        rows = {r["staff_id"]: r for r in got["items"]}
        return got if rows["verifier-1"]["contradicted_by_findings"] and got["unassigned"]["deadlines_breached"] \
            and rows["pc-1"]["deadlines_breached"] and rows["pc-1"]["precheck_decisions"] == 2 else None

    got = wait(report)
    assert got, _ok(supervisor.get("/staff-quality", params=EVER))
    rows = {r["staff_id"]: r for r in got["items"]}
    counted = ("filings_handled", "precheck_decisions", "onsite_decisions", "returned_by_bureau",
               "contradicted_by_findings", "corrections", "deadlines_breached")
    assert {k: rows["verifier-1"][k] for k in counted} == dict(zip(counted, (1, 0, 2, 1, 1, 1, 0), strict=True))
    assert {k: rows["pc-1"][k] for k in counted} == dict(zip(counted, (2, 2, 0, 0, 0, 0, 1), strict=True))
    assert {k: rows["head-1"][k] for k in counted} == dict.fromkeys(counted, 0)
    assert (rows["pc-1"]["name"], rows["pc-1"]["supervisor_id"], rows["pc-1"]["registered"]) == ("初审员丙", "head-1",
                                                                                                   True)
    assert got["unassigned"]["deadlines_breached"] == 1

    period = _ok(as_role("auditor", "a-1").get("/staff-quality", params={
        "since": clock.iso(days=-25), "until": clock.iso(days=-10)}))
    pc = {r["staff_id"]: r for r in period["items"]}["pc-1"]
    assert (pc["precheck_decisions"], pc["deadlines_breached"]) == (2, 1)  # the on-site work lies after the period
    assert {r["staff_id"]: r for r in period["items"]}["verifier-1"]["onsite_decisions"] == 0

    exported = supervisor.get("/staff-quality", params={**EVER, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert [line["staff_id"] for line in lines] == ["head-1", "pc-1", "verifier-1", "(unassigned)"]
    assert (lines[2]["name"], lines[2]["returned_by_bureau"], lines[3]["deadlines_breached"]) == ("核验员乙", "1", "1")
    bad = supervisor.get("/staff-quality", params={**EVER, "format": "xlsx"})
    assert bad.status_code == 400 and [(f, rule) for f, _code, rule in _codes(bad)] == [("format", "W1")]
