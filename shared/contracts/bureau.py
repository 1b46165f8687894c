"""Events the bureau service produces (P8, B1, B2, A1).

``filing_approved.v1`` carries the verified filing as the bureau approved it (``filing``: personal fields sealed
with the exchange ring under ``exchange.<path>``, docs/decisions/0001): intake shows the number, notify texts it to
``filing.contacts.mobile``, the filing center checks the ID information (P9) and counts it (C4). Every other event
carries no personal data.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.intake import FILING_SUBMITTED_SAMPLE
from shared.contracts.precheck import ReasonSchema
from shared.contracts.registry import EVENTS, EventContract
from shared.contracts.verification import FilingDataSchema

SPONSOR_KEY_KIND = "sponsor_document"


def sponsor_key(hasher, kind: str, document_number: str) -> str:
    """X1, ADR 0006: how a sponsor is named between organisations: the keyed digest (exchange lookup key) of its
    kind and document number, never the number itself. Intake asks the bureau by it; the bureau keys numbers by it."""
    return hasher.digest(f"{kind}:{document_number}", kind=SPONSOR_KEY_KIND)


class RegisterLookupSchema(Schema):
    """X1: what intake asks the bureau of a filing's province (``POST /register/lookups``)."""

    sponsor_key = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    domains = fields.List(fields.String(validate=validate.Length(min=1, max=253)), required=True,
                          validate=validate.Length(max=100), metadata={"description": "ASCII forms"})


class RegisteredSiteSchema(Schema):
    domain = fields.String()
    website_number = fields.String(allow_none=True)
    filed = fields.String(metadata={"description": "not_filed, this_sponsor or another_sponsor"})
    hosted_by_caller = fields.Boolean(metadata={"description": "the calling provider hosts it already"})


class RegisterAnswerSchema(Schema):
    """X1: what the register holds: the sponsor's number (null: none in this province) and each domain asked."""

    province = fields.String()
    sponsor_number = fields.String(allow_none=True)
    websites = fields.List(fields.Nested(RegisteredSiteSchema))


FILING_APPROVED = "filing_approved.v1"
FILING_RETURNED = "filing_returned.v1"
FILING_NUMBER_RETIRED = "filing_number_retired.v1"
REVIEW_DEADLINE_NEAR = "review_deadline_approached.v1"
REVIEW_DEADLINE_BREACHED = "review_deadline_breached.v1"
EVIDENCE_ACCESSED = "evidence_accessed.v1"
INSPECTION_RECORDED = "inspection_recorded.v1"
PENALTY_ISSUED = "penalty_issued.v1"
RECTIFICATION_OVERDUE = "rectification_deadline_passed.v1"
RECTIFICATION_CLOSED = "rectification_closed.v1"
MIIT_CODE_SENT = "miit_code_sent.v1"
MIIT_CODE_EXPIRING = "miit_code_nearly_expired.v1"
MIIT_CONTEXT = "exchange.miit"
"""X2: the code and the mobile of the MIIT events are sealed with the exchange ring under ``exchange.miit.<field>``."""


class _Reader(Schema):
    class Meta:
        unknown = EXCLUDE


class FilingApprovedSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    change_of = fields.String(allow_none=True, required=True,
                              metadata={"description": "the number a change (备案变更) kept; null for a new filing"})
    filing_number = fields.String(required=True)
    website_numbers = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                                  metadata={"description": "domain (ASCII form) -> website number ``…号-k``"})
    approved_at = fields.AwareDateTime(required=True)
    approved_by = fields.String(required=True)
    filing = fields.Nested(FilingDataSchema, required=True)


class FilingReturnedSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    submission = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    returned_at = fields.AwareDateTime(required=True)
    returned_by = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True, validate=validate.Length(min=1))
    mobile = fields.String(load_default=None, metadata={
        "description": "X4: the sponsor's mobile, sealed with the exchange ring (``exchange.contacts.mobile``)"})


class MiitCodeSchema(_Reader):
    """X2: the bureau sends the responsible person's mobile a code (``code`` and ``mobile`` sealed under
    ``exchange.miit.<field>``), to enter with the ID tail before ``expires_at``; ``resend`` counts resends."""

    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    mobile = fields.String(required=True)
    code = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    resend = fields.Integer(required=True)


class MiitExpiringSchema(_Reader):
    """X4: four hours are left to enter the MIIT code (``mobile`` sealed under ``exchange.miit.mobile``)."""

    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    mobile = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class NumberRetiredSchema(_Reader):
    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    filing_number = fields.String(required=True)
    retired_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


class ReviewDeadlineSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    submission = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    deadline = fields.AwareDateTime(required=True)
    provisional = fields.Boolean(required=True)


class EvidenceAccessedSchema(_Reader):
    """B1: a reviewer opened one piece of a provider's evidence (who, what, when)."""

    access_id = fields.String(required=True)
    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    bucket = fields.String(required=True)
    key = fields.String(required=True)
    viewer = fields.String(required=True)
    accessed_at = fields.AwareDateTime(required=True)
    expires_in = fields.Integer(required=True, validate=validate.Range(min=1, max=300))


class InspectionRecordedSchema(_Reader):
    """B2: an inspection of a provider's verification practice and its result."""

    inspection_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["scheduled", "random"]))
    year = fields.Integer(required=True)
    findings = fields.Integer(required=True)
    score = fields.Float(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    recorded_by = fields.String(required=True)


class PenaltySchema(_Reader):
    """A1: a rectification order against a provider, tracked to closure."""

    penalty_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    kind = fields.String(required=True)
    reason = fields.String(required=True)
    rule = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    issued_by = fields.String(required=True)
    rectify_by = fields.AwareDateTime(required=True)


class RectificationSchema(_Reader):
    penalty_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    rectify_by = fields.AwareDateTime(required=True)
    at = fields.AwareDateTime(required=True)
    by = fields.String(required=True)


_FILING = FILING_SUBMITTED_SAMPLE["filing_id"]
_FILING_DATA = {key: FILING_SUBMITTED_SAMPLE[key]
                for key in ("sponsor", "responsible_person", "contacts", "websites", "access")}
_SCOPE = {"provider_id": "provider-demo", "province": "京"}
_PENALTY = {
    "penalty_id": "3d0f6f3e-6c55-4d0e-9f5e-0a6e2b1c7d21",
    **_SCOPE,
    "kind": "rectification_order",
    "reason": "verified without meeting the responsible person",
    "rule": "A1",
    "issued_at": "2026-11-20T09:30:00+08:00",
    "issued_by": "bureau:京:reviewer-1",
    "rectify_by": "2026-12-20T09:30:00+08:00",
}
_RECTIFICATION = {"penalty_id": _PENALTY["penalty_id"], **_SCOPE, "rectify_by": _PENALTY["rectify_by"],
                  "at": "2026-12-21T00:00:00+08:00", "by": "bureau"}

EVENTS.register(EventContract(
    FILING_APPROVED, "bureau", FilingApprovedSchema,
    {
        "filing_id": _FILING,
        "version": 1,
        **_SCOPE,
        "change_of": None,
        "filing_number": "京ICP备2026000001号",
        "website_numbers": {"xn--fsqu00a.xn--fiqs8s": "京ICP备2026000001号-1"},
        "approved_at": "2026-11-20T09:30:00+08:00",
        "approved_by": "bureau:京:reviewer-1",
        "filing": _FILING_DATA,
    },
    "The bureau approved a filing and issued its filing number (P8); the provider may connect the site.",
))
EVENTS.register(EventContract(
    FILING_RETURNED, "bureau", FilingReturnedSchema,
    {
        "filing_id": _FILING, "version": 1, "submission": 1, **_SCOPE,
        "returned_at": "2026-11-20T09:30:00+08:00", "returned_by": "bureau:京:reviewer-1",
        "reasons": [{"field": "sponsor.document_number", "code": "unreadable_copy",
                     "message": "The copy of the business licence is unreadable.", "rule": "B1"}],
    },
    "The bureau returned a filing with field-level reasons (P8); the provider verifies it again.",
))
EVENTS.register(EventContract(
    FILING_NUMBER_RETIRED, "bureau", NumberRetiredSchema,
    {"filing_id": _FILING, **_SCOPE, "filing_number": "京ICP备2026000001号",
     "retired_at": "2026-11-25T09:30:00+08:00", "reason": "cancelled by the sponsor"},
    "A cancelled filing's number is retired, never to be issued again.",
))
_DEADLINE = {"filing_id": _FILING, "version": 1, "submission": 1, **_SCOPE,
             "received_at": "2026-11-10T10:05:00+08:00", "deadline": "2026-12-08T10:05:00+08:00",
             "provisional": False}
EVENTS.register(EventContract(
    REVIEW_DEADLINE_NEAR, "bureau", ReviewDeadlineSchema, _DEADLINE,
    "One working day is left of the bureau's review time (P8: 20 working days, or the province's own).",
))
EVENTS.register(EventContract(
    REVIEW_DEADLINE_BREACHED, "bureau", ReviewDeadlineSchema, _DEADLINE,
    "The bureau did not decide within its review time (P8).",
))
EVENTS.register(EventContract(
    EVIDENCE_ACCESSED, "bureau", EvidenceAccessedSchema,
    {"access_id": "8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "filing_id": _FILING, **_SCOPE,
     "bucket": "verification-evidence", "key": "filings/6f1c1c7e/v1/photo.jpg", "viewer": "bureau:京:reviewer-1",
     "accessed_at": "2026-11-12T10:00:00+08:00", "expires_in": 300},
    "A reviewer opened a provider's original scan, photo or form through a presigned link (B1).",
))
EVENTS.register(EventContract(
    INSPECTION_RECORDED, "bureau", InspectionRecordedSchema,
    {"inspection_id": "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", **_SCOPE, "kind": "random", "year": 2026,
     "findings": 1, "score": 92.5, "recorded_at": "2026-11-15T16:00:00+08:00", "recorded_by": "bureau:京:inspector-1"},
    "The bureau inspected a provider's verification practice and recorded its findings (B2).",
))
EVENTS.register(EventContract(
    PENALTY_ISSUED, "bureau", PenaltySchema, _PENALTY,
    "The bureau ordered a provider to rectify by a deadline (A1); the filing center summarises penalties (C4).",
))
EVENTS.register(EventContract(
    RECTIFICATION_OVERDUE, "bureau", RectificationSchema, _RECTIFICATION,
    "A rectification order passed its deadline without being closed (A1).",
))
EVENTS.register(EventContract(
    RECTIFICATION_CLOSED, "bureau", RectificationSchema, {**_RECTIFICATION, "at": "2026-12-10T10:00:00+08:00"},
    "A rectification order was closed: the provider rectified (A1).",
))
_MIIT = {"filing_id": _FILING, **_SCOPE, "mobile": "<sealed>", "expires_at": "2026-11-21T09:30:00+08:00"}
EVENTS.register(EventContract(
    MIIT_CODE_SENT, "bureau", MiitCodeSchema, {**_MIIT, "code": "<sealed>", "resend": 0},
    "The bureau's MIIT SMS check (X2): a code for the responsible person's mobile, valid 24 hours; notify texts it.",
))
EVENTS.register(EventContract(
    MIIT_CODE_EXPIRING, "bureau", MiitExpiringSchema, _MIIT,
    "Four hours are left to enter the MIIT code (X4); notify reminds the sponsor.",
))
