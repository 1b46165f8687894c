"""Events the precheck service produces (P2). Intake reads them to show the filing's status.

The first version carries what intake needs; the precheck issue may add fields (readers ignore unknown ones).
"""

from marshmallow import EXCLUDE, Schema, fields

from shared.contracts.registry import EVENTS, EventContract

PRECHECK_PASSED = "precheck_passed.v1"
PRECHECK_FAILED = "precheck_failed.v1"


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
    decided_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


_PASSED = {
    "filing_id": "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
    "version": 1,
    "decided_at": "2026-11-03T09:30:00+08:00",
    "decided_by": "precheck:auto",
    "reasons": [],
}
EVENTS.register(
    EventContract(
        PRECHECK_PASSED, "precheck", PrecheckOutcomeSchema, _PASSED, "Pre-verification passed (P2)."
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
