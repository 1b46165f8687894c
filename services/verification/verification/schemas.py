"""marshmallow schemas of verification's HTTP input (types only; rules live in domain.py)."""

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from verification.domain import CORRECTABLE_FIELDS, STAFF_ROLES


class AppointmentInput(Schema):
    at = fields.AwareDateTime(required=True)


# Bounds a period's ends so that each converts to UTC and to PostgreSQL (0001-01-01+00:03 is before year 1 in UTC).
_PERIOD_RANGE = validate.Range(min=datetime(1970, 1, 1, tzinfo=UTC), max=datetime(2200, 1, 1, tzinfo=UTC))


class StateQuery(Schema):
    """P3: the cases in one state (default: open windows); the state is checked by the use case."""

    state = fields.String(load_default=None)


class PeriodQuery(Schema):
    since = fields.AwareDateTime(required=True, validate=_PERIOD_RANGE)
    until = fields.AwareDateTime(required=True, validate=_PERIOD_RANGE)


class QualityQuery(PeriodQuery):
    """W1: the period of a quality report and its form (``json`` or ``csv``)."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class StaffInput(Schema):
    """W1: a member of the verification department; ``supervisor_id`` is the supervisor responsible."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(STAFF_ROLES)))
    supervisor_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120))
    active = fields.Boolean(load_default=True)


class StaffOutput(Schema):
    staff_id = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    supervisor_id = fields.String(allow_none=True)
    active = fields.Boolean()
    updated_by = fields.String()
    updated_at = fields.String()


class DocumentReading(Schema):
    """What one original document says (P5)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    document_type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    document_number = fields.String(required=True, validate=validate.Length(min=1, max=60))


class OriginalsInput(Schema):
    sponsor = fields.Nested(DocumentReading, required=True)
    responsible_person = fields.Nested(DocumentReading, required=True)
    person_present_confirmed = fields.Boolean(required=True)


class CorrectionInput(Schema):
    field = fields.String(required=True, validate=validate.OneOf(CORRECTABLE_FIELDS))
    after = fields.String(required=True, validate=validate.Length(min=1, max=300))


class AccessInput(Schema):
    provider_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    access_method = fields.String(required=True)
    server_location = fields.String(required=True, validate=validate.Length(min=2, max=100))
    ip_addresses = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=64))


class AgreementInput(Schema):
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=120))
    signature = fields.String(required=True, validate=validate.Length(min=1, max=200_000),
                              metadata={"description": "the signature pad's record (e.g. base64 PNG)"})


class FaceConsentInput(Schema):
    """X8: whether the person consents to the machine comparing their face (PIPL art. 28-29)."""

    consent = fields.Boolean(required=True)


class FaceSourceQuery(Schema):
    source = fields.String(required=True, validate=validate.OneOf(["card_scan", "chip_photo"]))


class FaceDecisionInput(Schema):
    """X8: staff confirm the model's outcome (``agrees``) or overrule it, or record the comparison by eye
    (``agrees``: the person present is the one on the document); a reason whenever they do not just confirm."""

    agrees = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class CaseOutput(Schema):
    filing_id = fields.String()
    version = fields.Integer()
    attempt = fields.Integer()
    sponsor_ref = fields.String(metadata={"description": "key of the sponsor's file (W4)"})
    state = fields.String()
    purpose = fields.String(metadata={"description": "filing (P3) or stock (W6 re-verification)"})
    sending = fields.Integer()
    opens_at = fields.String()
    closes_at = fields.String()
    filing = fields.Dict(metadata={"description": "personal data masked"})
    photo = fields.Dict(allow_none=True)
    face = fields.Dict(allow_none=True, metadata={"description": "X8: consent, outcome, distance, threshold, "
                                                                "decision"})
    originals = fields.Dict(allow_none=True)
    copies = fields.List(fields.String())
    corrections = fields.List(fields.Dict())
    domains = fields.List(fields.Dict())
    access = fields.Dict(allow_none=True)
    agreement = fields.Dict(allow_none=True)
    forms = fields.Dict(allow_none=True)
    returned = fields.List(fields.Dict())
    outstanding = fields.List(fields.Dict())
    decided_by = fields.String(allow_none=True)
    reasons = fields.List(fields.Dict())
