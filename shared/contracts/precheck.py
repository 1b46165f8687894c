"""Events the precheck service produces (P2).

Intake reads the outcomes to show the filing's status; notify sends the P2 texts to ``mobile`` and the
one-time codes of ``contact_confirmation_requested.v1``. ``mobile``, ``recipient`` and ``code`` are
field-encryption tokens sealed with the provider's keys under the context ``event.<field>`` (design.md §5):
no phone number, address or code travels in plaintext.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.intake import FILING_SUBMITTED_SAMPLE, DocumentScanSchema, FilingSubmittedSchema
from shared.contracts.registry import EVENTS, EventContract

PRECHECK_PASSED = "precheck_passed.v1"
PRECHECK_PASSED_V2 = "precheck_passed.v2"
PRECHECK_FAILED = "precheck_failed.v1"
PRECHECK_DEADLINE_NEAR = "precheck_deadline_near.v1"
PRECHECK_DEADLINE_BREACHED = "precheck_deadline_breached.v1"
CONTACT_CONFIRMATION_REQUESTED = "contact_confirmation_requested.v1"
SEALED_FIELDS = ("mobile", "recipient", "code")


class ReasonSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    field = fields.String(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    rule = fields.String(required=True)


class PrecheckOutcomeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    attempt = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "the submission of that version decided (a resubmission after a failure is the next one)"})
    decided_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    mobile = fields.String(required=True)
    rulebook_version = fields.String(required=True)


class PassedSubmissionSchema(FilingSubmittedSchema):
    """The submission passed, as intake sent it (``filing_submitted.v1`` or, for a change, ``filing_changed.v1``):
    personal fields sealed for the bus exactly as there; its documents without their OCR readings (X7: read by
    pre-verification only)."""

    documents = fields.List(fields.Nested(DocumentScanSchema), required=True)

    filing_number = fields.String(load_default=None, allow_none=True, metadata={
        "description": "a change's filing number (filing_changed.v1); null for a new filing"})
    previous_version = fields.Integer(load_default=None, allow_none=True)


class PrecheckPassedSchema(PrecheckOutcomeSchema):
    """``precheck_passed.v2``: v1's outcome and the submission it passed, so that a consumer (verification, P3)
    needs no join with intake's events, which may arrive after it (issue 18)."""

    submission = fields.Nested(PassedSubmissionSchema, required=True)


class DeadlineSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    deadline = fields.AwareDateTime(required=True)
    provisional = fields.Boolean(required=True)
    claimed_by = fields.String(allow_none=True, load_default=None, metadata={
        "description": "W1: the staff member who had claimed the filing (role:subject), if anyone"})


class ContactConfirmationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filing_id = fields.String(required=True)
    confirmation_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(["sms", "email"]))
    recipient = fields.String(required=True)
    code = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


_PASSED = {
    "filing_id": "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
    "version": 1,
    "attempt": 1,
    "decided_at": "2026-11-03T09:30:00+08:00",
    "decided_by": "precheck:auto",
    "reasons": [],
    "mobile": "v1:sealed-sample",
    "rulebook_version": "2026.1",
}
EVENTS.register(
    EventContract(
        PRECHECK_PASSED, "precheck", PrecheckOutcomeSchema, _PASSED, "Pre-verification passed (P2)."
    )
)
EVENTS.register(
    EventContract(
        PRECHECK_PASSED_V2, "precheck", PrecheckPassedSchema,
        {**_PASSED, "submission": {**FILING_SUBMITTED_SAMPLE, "filing_id": _PASSED["filing_id"]}},
        "Pre-verification passed (P2), with the submission passed: what verification opens the on-site window "
        "with (P3). Published beside precheck_passed.v1 until every consumer reads v2 (design.md §3).",
    )
)
EVENTS.register(
    EventContract(
        PRECHECK_FAILED,
        "precheck",
        PrecheckOutcomeSchema,
        {
            **_PASSED,
            "reasons": [
                {
                    "field": "contacts.mobile",
                    "code": "not_confirmed",
                    "message": "The mobile number was not confirmed.",
                    "rule": "P2",
                }
            ],
        },
        "Pre-verification failed with field-level reasons (P2); the sponsor corrects and resubmits.",
    )
)
_DEADLINE = {
    "filing_id": _PASSED["filing_id"],
    "version": 1,
    "submitted_at": "2026-11-02T09:30:00+08:00",
    "deadline": "2026-11-09T09:30:00+08:00",
    "provisional": False,
    "claimed_by": "precheck:staff-7",
}
EVENTS.register(
    EventContract(
        PRECHECK_DEADLINE_NEAR,
        "precheck",
        DeadlineSchema,
        _DEADLINE,
        "One working day is left of the 5 working days for pre-verification (P2).",
    )
)
EVENTS.register(
    EventContract(
        PRECHECK_DEADLINE_BREACHED,
        "precheck",
        DeadlineSchema,
        _DEADLINE,
        "Pre-verification was not decided within 5 working days (P2).",
    )
)
EVENTS.register(
    EventContract(
        CONTACT_CONFIRMATION_REQUESTED,
        "precheck",
        ContactConfirmationSchema,
        {
            "filing_id": _PASSED["filing_id"],
            "confirmation_id": "0b5c1f7e-8d0c-4a57-9d0e-1c3a7b2f9e11",
            "channel": "sms",
            "recipient": "v1:sealed-sample",
            "code": "v1:sealed-sample",
            "expires_at": "2026-11-03T09:30:00+08:00",
        },
        "A one-time code to confirm a contact (P2: confirmed by phone, e-mail or similar); notify sends it.",
    )
)
