"""marshmallow schemas of the bureau's HTTP input (types only; rules live in domain.py)."""

from marshmallow import Schema, fields, validate

from bureau.domain import AREAS, DEDUCTIONS, PENALTY_KINDS


class ReasonInput(Schema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=120))
    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    message = fields.String(required=True, validate=validate.Length(min=1, max=500))
    rule = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ReturnInput(Schema):
    reasons = fields.List(fields.Nested(ReasonInput), required=True, validate=validate.Length(min=1, max=50))


class InspectionInput(Schema):
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(["scheduled", "random"]))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    sample_size = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    seed = fields.String(load_default=None, validate=validate.Length(min=1, max=120))


class FindingInput(Schema):
    area = fields.String(required=True, validate=validate.OneOf(AREAS))
    severity = fields.String(required=True, validate=validate.OneOf(list(DEDUCTIONS)))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    filing_id = fields.String(load_default=None, validate=validate.Length(max=36))


class FindingsInput(Schema):
    findings = fields.List(fields.Nested(FindingInput), required=True, validate=validate.Length(max=200))


class PenaltyInput(Schema):
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    filing_id = fields.String(load_default=None, validate=validate.Length(max=36))
    kind = fields.String(required=True, validate=validate.OneOf(PENALTY_KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    rule = fields.String(load_default="A1", validate=validate.Length(min=1, max=8))
    rectify_by = fields.AwareDateTime(required=True)


class ClosureInput(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PublicWebsite(Schema):
    website_number = fields.String()
    name = fields.String()
    domain = fields.String()
    domain_ascii = fields.String()


class PublicFilingOutput(Schema):
    """The public query's answer: public fields only (P8)."""

    filing_number = fields.String()
    sponsor_kind = fields.String()
    sponsor_name = fields.String(allow_none=True, metadata={"description": "a unit's name; null for an individual"})
    approved_at = fields.Date()
    websites = fields.List(fields.Nested(PublicWebsite))


class ProviderQuery(Schema):
    """``GET /penalties``, ``GET /inspections``: optionally one provider's."""

    provider_id = fields.String(load_default=None)


class PublicQuery(Schema):
    """``GET /public/filings``: by ``domain``, ``number`` or a unit's ``name`` (one of them, checked by the use
    case, X9)."""

    domain = fields.String(load_default=None, validate=validate.Length(max=253))
    number = fields.String(load_default=None, validate=validate.Length(max=60))
    name = fields.String(load_default=None, validate=validate.Length(max=200))


class MiitResendInput(Schema):
    """X2: the last six characters of the responsible person's ID document (``POST …/resend``)."""

    id_tail = fields.String(required=True, validate=validate.Regexp(r"^\s*[0-9A-Za-z]{6}\s*$"))


class MiitCodeInput(MiitResendInput):
    """X2: the SMS code with the ID tail (``POST /public/miit-checks/<filing_id>``)."""

    code = fields.String(required=True, validate=validate.Regexp(r"^\s*[0-9]{6}\s*$"))
