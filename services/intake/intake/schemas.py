"""marshmallow schemas of intake's HTTP and RPC interface; the OpenAPI document is generated from them.

Input schemas check types and shapes only (every field optional, so a draft can be saved half-done);
the regulation's rules live in ``domain.validate_filing`` and run on submit.
"""

from marshmallow import Schema, fields, validate

from intake.domain.filing_data import ACCESS_METHODS, SCAN_KINDS
from intake.domain.guide import CONTRACT_CLAUSE_SHA256
from intake.domain.revisits import REVISIT_ANSWERS
from shared.contracts.errors import FieldErrorOutput

_TEXT = validate.Length(max=500)
_SHORT = validate.Length(max=100)


class SponsorInput(Schema):
    kind = fields.String(validate=validate.OneOf(["unit", "individual"]))
    unit_type = fields.String(allow_none=True, validate=_SHORT)
    name = fields.String(validate=validate.Length(max=200))
    document_type = fields.String(validate=_SHORT)
    document_number = fields.String(validate=validate.Length(max=64))
    province = fields.String(validate=validate.Length(max=4))


class ResponsiblePersonInput(Schema):
    name = fields.String(validate=_SHORT)
    document_type = fields.String(validate=_SHORT)
    document_number = fields.String(validate=validate.Length(max=64))
    role = fields.String(validate=_SHORT)


class ContactsInput(Schema):
    mobile = fields.String(validate=validate.Length(max=32))
    office_phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    home_phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    email = fields.String(validate=validate.Length(max=254))
    postal_address = fields.String(validate=_TEXT)


class PriorApprovalInput(Schema):
    category = fields.String(validate=_SHORT)
    approval_number = fields.String(validate=_SHORT)


class WebsiteInput(Schema):
    name = fields.String(validate=_SHORT)
    domains = fields.List(fields.String(validate=validate.Length(max=253)), validate=validate.Length(max=50))
    service_content = fields.List(fields.String(validate=_SHORT), validate=validate.Length(max=50))
    prior_approvals = fields.List(fields.Nested(PriorApprovalInput), validate=validate.Length(max=20))


class AccessInput(Schema):
    """R1.8: entered by provider staff as the provider actually hosts the site."""

    provider_name = fields.String(validate=_SHORT)
    access_method = fields.String(validate=validate.OneOf(ACCESS_METHODS))
    server_location = fields.String(validate=_SHORT)
    ip_addresses = fields.List(
        fields.String(validate=validate.Length(max=45)), validate=validate.Length(max=50)
    )


class FilingInput(Schema):
    """A draft or a partial edit of one (P1); the access information is provider staff's (``AccessInput``)."""

    sponsor = fields.Nested(SponsorInput)
    responsible_person = fields.Nested(ResponsiblePersonInput)
    contacts = fields.Nested(ContactsInput)
    websites = fields.List(fields.Nested(WebsiteInput), validate=validate.Length(max=20))


class AcceptanceInput(Schema):
    """W3: the submitter accepts the clause it was shown, identified by its SHA-256."""

    clause_sha256 = fields.String(required=True, validate=validate.Equal(CONTRACT_CLAUSE_SHA256))
    accepted = fields.Boolean(required=True, validate=validate.Equal(True))


class CancellationInput(Schema):
    """X1: ``kind`` ``sponsor`` (注销主体, the whole filing), ``website`` (注销网站) or ``access`` (取消接入) of the
    websites' ``domains``."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    kind = fields.String(load_default="sponsor", validate=validate.OneOf(["sponsor", "website", "access"]))
    domains = fields.List(fields.String(validate=validate.Length(min=1, max=253)), load_default=list,
                          validate=validate.Length(max=100))


class GuideQuery(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["unit", "individual"]))
    unit_type = fields.String(validate=_SHORT)


class UploadQuery(Schema):
    """P5: which document a scan shows (``SCAN_KINDS``; the use case names a wrong one)."""

    kind = fields.String(metadata={"enum": list(SCAN_KINDS)})


class ApprovedSitesQuery(Schema):
    """P8: ``nginx`` answers the list as an nginx ``map`` file; anything else as JSON."""

    format = fields.String(metadata={"description": "nginx: an nginx map file (text/plain)"})


class RevisitAnswerInput(Schema):
    """W5: ``confirmed`` (the data is still right) or ``update`` (open a change to edit)."""

    answer = fields.String(required=True, validate=validate.OneOf(REVISIT_ANSWERS))


class StockImportQuery(Schema):
    """W6: the day by which the imported filings are to be verified on site (default: the configured period)."""

    deadline = fields.Date()


class DocumentOutput(Schema):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(SCAN_KINDS))
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.String()
    uploaded_by = fields.String()


class TimelineEntryOutput(Schema):
    at = fields.String()
    state = fields.String()
    version = fields.Integer()
    actor = fields.String()
    note = fields.String(allow_none=True)
    reasons = fields.List(fields.Nested(FieldErrorOutput))


class FilingOutput(Schema):
    """A filing as shown: in full to its sponsor, personal data masked to anybody else (design.md §5, issue 17)."""

    id = fields.String()
    state = fields.String()
    version = fields.Integer()
    attempt = fields.Integer()
    provider_id = fields.String()
    filing_number = fields.String(allow_none=True)
    data = fields.Dict()
    documents = fields.List(fields.Nested(DocumentOutput))
    contract_accepted = fields.Boolean()
    problems = fields.List(fields.Nested(FieldErrorOutput))
    created_at = fields.String()
    updated_at = fields.String()


class PersonalValueOutput(Schema):
    """W4, B1 (issue 17): one personal value in full; the opening is recorded."""

    filing_id = fields.String()
    version = fields.Integer()
    field = fields.String(metadata={"description": "a personal path, e.g. contacts.mobile"})
    value = fields.String(allow_none=True)
    opened_at = fields.String()


class TimelineOutput(Schema):
    id = fields.String()
    state = fields.String()
    timeline = fields.List(fields.Nested(TimelineEntryOutput))


class ApprovedSiteOutput(Schema):
    domain = fields.String(metadata={"description": "ASCII (punycode) form"})
    website_number = fields.String()
    filing_id = fields.String()
    approved_at = fields.String()


class ApprovedSitesOutput(Schema):
    """P8: also as an nginx map with ``?format=nginx``."""

    revision = fields.Integer()
    changed_at = fields.String(allow_none=True)
    sites = fields.List(fields.Nested(ApprovedSiteOutput))


class ClauseOutput(Schema):
    clause = fields.String()
    clause_sha256 = fields.String()
    rule = fields.String()


class SignInCodeInput(Schema):
    """P1: the mobile a sponsor signs in with (issue 8)."""

    mobile = fields.String(required=True, validate=validate.Length(min=1, max=32))


class SignInInput(Schema):
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=32))
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class SignInCodeOutput(Schema):
    sent = fields.Boolean(required=True)
    expires_in = fields.Integer(required=True)


class TokenOutput(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
