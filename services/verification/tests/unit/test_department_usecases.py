"""W1: the verification department's rules and the facts that measure its members, on in-memory repositories
(tests/fakes.py): who may be registered under whom, a supervisor who still leads someone keeps the role, names
sealed at rest; a fail, a breach and a finding count against the right member."""
import uuid
from datetime import datetime, timedelta

import pytest

from shared.contracts.errors import BadRequest, ValidationFailed
from verification import department
from verification.domain import Quality

pytestmark = [pytest.mark.unit, pytest.mark.clock]

MEMBERS = {
    "head-1": {"name": "主管甲", "roles": ["supervisor"], "supervisor_id": None, "active": True},
    "verifier-1": {"name": "核验员乙", "roles": ["onsite_verifier"], "supervisor_id": "head-1", "active": True},
    "pc-1": {"name": "初审员丙", "roles": ["precheck"], "supervisor_id": "head-1", "active": True},
}


@pytest.fixture
def registered(wired):
    for staff_id, body in MEMBERS.items():
        wired.register(staff_id, body, "supervisor:head-1")
    return wired


def _codes(exc) -> list[tuple[str, str, str]]:
    return [(e["field"], e["code"], e["rule"]) for e in exc.value.errors]


@pytest.mark.req("W1")
def test_a_member_needs_an_active_supervisor_of_the_department(registered):
    member = {"name": "丁", "roles": ["precheck"], "active": True}
    with pytest.raises(ValidationFailed) as no_head:
        registered.register("pc-2", {**member, "supervisor_id": None}, "supervisor:head-1")
    assert _codes(no_head) == [("supervisor_id", "required", "W1")]
    with pytest.raises(ValidationFailed) as not_a_head:
        registered.register("pc-2", {**member, "supervisor_id": "verifier-1"}, "supervisor:head-1")
    assert _codes(not_a_head) == [("supervisor_id", "not_a_supervisor", "W1")]
    with pytest.raises(ValidationFailed) as own_head:
        registered.register("head-2", {**member, "roles": ["supervisor"], "supervisor_id": "head-2"},
                            "supervisor:head-1")
    assert _codes(own_head) == [("supervisor_id", "self", "W1")]
    with pytest.raises(BadRequest):
        registered.register("a:b", MEMBERS["pc-1"], "supervisor:head-1")
    assert [m["staff_id"] for m in registered.department()["staff"]] == ["head-1", "pc-1", "verifier-1"]


@pytest.mark.req("W1")
def test_a_supervisor_still_responsible_for_someone_keeps_the_role_and_stays(registered):
    registered.register("head-2", {**MEMBERS["head-1"], "name": "主管戊"}, "supervisor:head-1")
    for change in ({"active": False}, {"roles": ["onsite_verifier"], "supervisor_id": "head-2"}):
        with pytest.raises(ValidationFailed) as refused:
            registered.register("head-1", {**MEMBERS["head-1"], **change}, "supervisor:head-1")
        assert _codes(refused) == [("roles", "still_responsible", "W1")]
    for staff_id in ("verifier-1", "pc-1"):
        registered.register(staff_id, {**MEMBERS[staff_id], "supervisor_id": "head-2"},
                            "supervisor:head-2")
    left = registered.register("head-1", {**MEMBERS["head-1"], "active": False}, "supervisor:head-2")
    assert (left["active"], left["updated_by"]) == (False, "supervisor:head-2")


@pytest.mark.req("W1")
def test_names_are_sealed_at_rest_and_shown_to_the_department(registered, uow):
    stored = uow.staff.get("verifier-1").name
    assert "核验员乙" not in stored
    shown = {m["staff_id"]: m["name"] for m in registered.department()["staff"]}
    assert shown["verifier-1"] == "核验员乙"


@pytest.mark.req("W1")
def test_fails_breaches_and_findings_count_against_the_right_member(registered, uow, clock):
    now = clock()
    filing_id = str(uuid.uuid4())
    registered.on_precheck_failed({"filing_id": filing_id, "decided_by": "precheck:pc-1",
                                               "decided_at": now - timedelta(days=3)})
    registered.on_precheck_deadline_breached({"filing_id": filing_id, "claimed_by": None,
                                                          "deadline": now - timedelta(days=2)})
    registered.record_quality(Quality.ONSITE_DECISION, "onsite_verifier:verifier-1", filing_id,
                   now - timedelta(days=2), "verified")
    registered.record_quality(Quality.ONSITE_DECISION, "supervisor:head-1", filing_id, now - timedelta(days=1),
                   "verified")
    registered.on_finding({"filing_id": filing_id, "check": "id_check",
                                       "raised_at": now - timedelta(hours=36)})  # after verifier-1's, before head-1's
    registered.on_finding({"filing_id": str(uuid.uuid4()), "check": "id_check", "raised_at": now})
    report = registered.quality(now - timedelta(days=10), now + timedelta(days=1))
    rows = {r["staff_id"]: r for r in report["items"]}
    assert (rows["pc-1"]["precheck_decisions"], rows["pc-1"]["deadlines_breached"]) == (1, 0)
    assert rows["verifier-1"]["contradicted_by_findings"] == 1
    assert rows["head-1"]["contradicted_by_findings"] == 0
    assert report["unassigned"]["deadlines_breached"] == 1
    assert len(uow.quality.rows) == 5  # the finding on a filing never verified here counts against nobody


@pytest.mark.req("W1")
def test_the_csv_quotes_what_a_spreadsheet_would_run(registered, clock):
    registered.register("pc-9", {**MEMBERS["pc-1"], "name": "=HYPERLINK(\"x\")"}, "supervisor:head-1")
    report = registered.quality(datetime(2020, 1, 1, tzinfo=clock().tzinfo), clock())
    lines = department.quality_csv(report).splitlines()
    assert lines[0].startswith("staff_id,name,roles")
    assert any(line.startswith("pc-9,\"'=HYPERLINK(\"\"x\"\")\"") for line in lines)
    assert lines[-1].startswith("(unassigned)")
