"""W1: the provider's verification department as data (its staff, their roles, the supervisor responsible for
each) and every staff member's filing quality per period, as JSON and CSV for the annual assessment.

Use cases in the conventions of :mod:`verification.usecases` (the unit of work and the collaborators each uses;
the entrypoint commits). The facts are recorded where they happen: a decision and a correction by the on-site use
cases, a pre-verification decision and a breached P2 deadline from precheck's events (``decided_by``,
``claimed_by``), a return from ``filing_returned.v1`` (against the decision returned) and a contradiction from
``audit_finding_raised.v1`` (against the on-site decision that verified the filing). Staff names are sealed at
rest (``verification.staff.name``) and shown only to supervisors and auditors.
"""

import csv
import io
import re
from datetime import datetime

from shared.contracts.errors import BadRequest, FieldError, ValidationFailed, field_errors
from verification import domain
from verification.domain import QUALITY_COLUMNS, Fact, Quality
from verification.models import StaffMember
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import Clock, MaySee, record_quality

NAME_CONTEXT = "verification.staff.name"
SUPERVISOR = "supervisor"
_STAFF_ID = re.compile(r"[A-Za-z0-9._@-]{1,120}")
_FORMULA = ("=", "+", "-", "@")


# --- the department ------------------------------------------------------------------------------------------


def register(uow: VerificationUnitOfWork, staff_id: str, body: dict, actor: str, *, cipher, provider_id: str,
             now: Clock) -> dict:
    """W1: add or change a member: name, roles and the supervisor responsible (an active supervisor of the
    department; a member who is not a supervisor must have one). A supervisor still responsible for active
    members keeps the role and stays active until they have another. Every problem at once (422)."""
    if not _STAFF_ID.fullmatch(staff_id):
        raise BadRequest.about("staff_id", "format", "A staff id is the subject of the member's token: letters, "
                               "digits and . _ @ - (at most 120).", "W1")
    roles, supervisor_id = sorted(set(body["roles"])), body["supervisor_id"]
    problems = []
    if supervisor_id is None and SUPERVISOR not in roles:
        problems.append(FieldError("supervisor_id", "required",
                                   "Name the supervisor responsible for a member who is not a supervisor.", "W1"))
    elif supervisor_id == staff_id:
        problems.append(FieldError("supervisor_id", "self", "A member is not their own supervisor.", "W1"))
    elif supervisor_id is not None:
        head = uow.staff.get(supervisor_id)
        if head is None or head.provider_id != provider_id or not head.active or SUPERVISOR not in head.roles:
            problems.append(FieldError("supervisor_id", "not_a_supervisor", "The supervisor responsible must be an "
                                       "active member of the department with the supervisor role.", "W1"))
    if not body["active"] or SUPERVISOR not in roles:
        led = uow.staff.one_led_by(staff_id)
        if led is not None:
            problems.append(FieldError("roles", "still_responsible", f"This supervisor is still responsible for "
                                       f"{led}: name another supervisor for them first.", "W1"))
    if problems:
        raise ValidationFailed("the member does not fit the department", field_errors(*problems))
    member = uow.staff.get(staff_id, lock=True)
    if member is None:
        member = StaffMember(staff_id=staff_id, provider_id=provider_id)
        uow.staff.add(member)
    member.name = cipher.encrypt(body["name"], context=NAME_CONTEXT)
    member.roles, member.supervisor_id, member.active = roles, supervisor_id, body["active"]
    member.updated_by, member.updated_at = actor, now()
    uow.flush()
    return _member(cipher, member)


def _member(cipher, member: StaffMember) -> dict:
    return {"staff_id": member.staff_id, "name": cipher.decrypt(member.name, context=NAME_CONTEXT),
            "roles": list(member.roles), "supervisor_id": member.supervisor_id, "active": member.active,
            "updated_by": member.updated_by, "updated_at": member.updated_at.isoformat()}


def _members(uow: VerificationUnitOfWork, may_see: MaySee) -> list[StaffMember]:
    return [m for m in uow.staff.all() if may_see(provider=m.provider_id, province=None)]


def department(uow: VerificationUnitOfWork, *, may_see: MaySee, cipher, provider_id: str) -> dict:
    """W1: every member (leavers too, inactive), with roles and the supervisor responsible."""
    return {"provider_id": provider_id, "staff": [_member(cipher, m) for m in _members(uow, may_see)]}


# --- facts from other services' events -----------------------------------------------------------------------


def on_precheck_failed(uow: VerificationUnitOfWork, data: dict, *, provider_id: str, now: Clock) -> None:
    """W1: a pre-verification fail is a decision of the staff member who made it (a pass is counted where the
    window opens, :func:`verification.usecases.window.on_precheck_passed`)."""
    record_quality(uow, Quality.PRECHECK_DECISION, data["decided_by"], data["filing_id"], data["decided_at"],
                   "failed", provider_id=provider_id, now=now)


def on_precheck_deadline_breached(uow: VerificationUnitOfWork, data: dict, *, provider_id: str, now: Clock) -> None:
    """W1: P2's 5 working days passed; the breach is the claimant's, or the department's if nobody claimed."""
    record_quality(uow, Quality.DEADLINE_BREACHED, data.get("claimed_by"), data["filing_id"], data["deadline"],
                   "precheck", provider_id=provider_id, now=now)


def on_finding(uow: VerificationUnitOfWork, data: dict, *, provider_id: str, now: Clock) -> None:
    """W1: a filing-center finding (P9) contradicts the on-site decision that verified the filing: the latest one
    before the finding. A filing never verified here (another provider's, a stock filing not yet re-verified)
    counts against nobody."""
    decision = uow.quality.last_decision(data["filing_id"], Quality.ONSITE_DECISION, "verified", data["raised_at"])
    if decision is not None:
        record_quality(uow, Quality.CONTRADICTED, decision.actor, data["filing_id"], decision.at, data["check"],
                       provider_id=provider_id, now=now)


# --- the report ----------------------------------------------------------------------------------------------


def quality(uow: VerificationUnitOfWork, since: datetime, until: datetime, *, may_see: MaySee, cipher,
            provider_id: str) -> dict:
    """W1: per staff member, what they did between ``since`` and ``until`` (:data:`domain.QUALITY_COLUMNS`),
    and the breaches nobody had claimed."""
    facts = [Fact(r.staff_id, r.kind, r.filing_id) for r in uow.quality.in_period(since, until)
             if may_see(provider=r.provider_id, province=None)]
    members = [{k: v for k, v in _member(cipher, m).items() if k in QUALITY_COLUMNS} for m in _members(uow, may_see)]
    items, unassigned = domain.quality_report(members, facts)
    return {"provider_id": provider_id, "since": since.isoformat(), "until": until.isoformat(),
            "items": items, "unassigned": unassigned}


def quality_csv(report: dict) -> str:
    """The report as CSV (UTF-8, one line per member, roles separated by ``;``, the unassigned breaches last);
    a cell that a spreadsheet would run as a formula is quoted with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(QUALITY_COLUMNS)
    lines = [{**item, "roles": ";".join(item["roles"])} for item in report["items"]]
    lines.append({"staff_id": "(unassigned)", **report["unassigned"]})
    for line in lines:
        writer.writerow([_cell(line.get(column, "")) for column in QUALITY_COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text
