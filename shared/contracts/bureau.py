"""Events the bureau service produces (P8). Intake reads them to show the filing's status and number."""

from marshmallow import EXCLUDE, Schema, fields

from shared.contracts.registry import EVENTS, EventContract

FILING_APPROVED = "filing_approved.v1"


class FilingApprovedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    filing_number = fields.String(required=True)
    website_numbers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    approved_at = fields.AwareDateTime(required=True)
    approved_by = fields.String(required=True)


EVENTS.register(
    EventContract(
        FILING_APPROVED,
        "bureau",
        FilingApprovedSchema,
        {
            "filing_id": "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
            "version": 1,
            "filing_number": "京ICP备2026000001号",
            "website_numbers": {"xn--fsqu00a.xn--fiqs8s": "京ICP备2026000001号-1"},
            "approved_at": "2026-11-20T09:30:00+08:00",
            "approved_by": "bureau:京:reviewer-1",
        },
        "The bureau approved a filing and issued its filing number (P8).",
    )
)
