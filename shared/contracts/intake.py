"""Events the intake service produces (P1, R1.1–R1.8, W3; design.md §1).

Personal data never travels in plaintext (design.md §5): the fields listed by ``personal_paths`` carry
field-encryption tokens (``shared.platform.crypto``) sealed with the provider's keys under the context
``event:<path>``, and ``lookups`` carries keyed HMACs for equality checks (e.g. the same mobile number used
by another sponsor). Units' names and document numbers are public business data and stay plain.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.registry import EVENTS, EventContract
from shared.contracts.routes import BY_PROVINCE

FILING_SUBMITTED = "filing_submitted.v1"
FILING_CHANGED = "filing_changed.v1"
FILING_CANCELLED = "filing_cancelled.v1"
WEBSITE_CANCELLED = "website_cancelled.v1"
ACCESS_CANCELLED = "access_cancelled.v1"
APPROVED_SITES_CHANGED = "approved_sites_changed.v1"

SEAL_CONTEXT = "event"
_PERSON_PATHS = (
    "responsible_person.name",
    "responsible_person.document_number",
    "contacts.mobile",
    "contacts.office_phone",
    "contacts.home_phone",
    "contacts.email",
    "contacts.postal_address",
)


def personal_paths(sponsor_kind: str) -> tuple[str, ...]:
    """Paths of the sealed fields: an individual sponsor's own name and document are personal data too."""
    if sponsor_kind == "individual":
        return ("sponsor.name", "sponsor.document_number", *_PERSON_PATHS)
    return _PERSON_PATHS


class _Reader(Schema):
    class Meta:
        unknown = EXCLUDE


class SponsorSchema(_Reader):
    kind = fields.String(required=True, validate=validate.OneOf(["unit", "individual"]))
    unit_type = fields.String(allow_none=True)
    name = fields.String(required=True)
    document_type = fields.String(required=True)
    document_number = fields.String(required=True)
    province = fields.String(required=True)


class ResponsiblePersonSchema(_Reader):
    name = fields.String(required=True)
    document_type = fields.String(required=True)
    document_number = fields.String(required=True)
    role = fields.String(required=True)


class ContactsSchema(_Reader):
    mobile = fields.String(required=True)
    office_phone = fields.String(allow_none=True)
    home_phone = fields.String(allow_none=True)
    email = fields.String(required=True)
    postal_address = fields.String(required=True)


class DomainSchema(_Reader):
    unicode = fields.String(required=True)
    ascii = fields.String(required=True)


class PriorApprovalSchema(_Reader):
    category = fields.String(required=True)
    approval_number = fields.String(required=True)


class WebsiteSchema(_Reader):
    name = fields.String(required=True)
    domains = fields.List(fields.Nested(DomainSchema), required=True, validate=validate.Length(min=1))
    service_content = fields.List(fields.String(), required=True)
    prior_approvals = fields.List(fields.Nested(PriorApprovalSchema), required=True)


class AccessSchema(_Reader):
    provider_name = fields.String(required=True)
    access_method = fields.String(required=True)
    server_location = fields.String(required=True)
    ip_addresses = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class ObjectRefSchema(_Reader):
    bucket = fields.String(required=True)
    key = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Length(equal=64))
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    version_id = fields.String(allow_none=True)


class DocumentScanSchema(_Reader):
    kind = fields.String(required=True)
    object = fields.Nested(ObjectRefSchema, required=True)


class ReadFieldSchema(_Reader):
    value = fields.String(required=True, metadata={"description": "sealed for the bus (design.md §5)"})
    confidence = fields.Float(required=True, validate=validate.Range(min=0, max=1))


class ReadingSchema(_Reader):
    """X7: what OCR read of an identity document's scan; pre-verification compares it with the filing."""

    status = fields.String(required=True, validate=validate.OneOf(["read", "unreadable"]))
    document = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(
        ["resident_id", "business_licence", "organisation_code"]))
    found = fields.Dict(keys=fields.String(validate=validate.OneOf(
        ["name", "document_number", "legal_representative", "valid_until"])), values=fields.Nested(ReadFieldSchema),
        load_default=dict)


READING_PATHS = tuple(f"found.{name}.value" for name in ("name", "document_number", "legal_representative",
                                                         "valid_until"))
"""X7: the paths of a reading that hold personal data, sealed at rest and on the bus like the filing's."""


class SubmittedDocumentSchema(DocumentScanSchema):
    reading = fields.Nested(ReadingSchema, allow_none=True, load_default=None, metadata={
        "description": "X7: an identity document's OCR reading (absent for other scans)"})


class LookupsSchema(_Reader):
    responsible_person_document = fields.String(required=True)
    mobile = fields.String(required=True)


class AcceptanceSchema(_Reader):
    clause_sha256 = fields.String(required=True)
    accepted_at = fields.AwareDateTime(required=True)
    accepted_by = fields.String(required=True)


class FilingSubmittedSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    attempt = fields.Integer(required=True, validate=validate.Range(min=1))
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    sponsor = fields.Nested(SponsorSchema, required=True)
    responsible_person = fields.Nested(ResponsiblePersonSchema, required=True)
    contacts = fields.Nested(ContactsSchema, required=True)
    websites = fields.List(fields.Nested(WebsiteSchema), required=True, validate=validate.Length(min=1))
    access = fields.Nested(AccessSchema, required=True)
    documents = fields.List(fields.Nested(SubmittedDocumentSchema), required=True)
    lookups = fields.Nested(LookupsSchema, required=True)
    contract_acceptance = fields.Nested(AcceptanceSchema, required=True)


class FilingChangedSchema(FilingSubmittedSchema):
    """A change (备案变更) of an approved filing: the new version, and the number it changes."""

    filing_number = fields.String(required=True)
    previous_version = fields.Integer(required=True)


class FilingCancelledSchema(_Reader):
    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    filing_number = fields.String(allow_none=True)
    reason = fields.String(required=True)
    cancelled_at = fields.AwareDateTime(required=True)
    cancelled_by = fields.String(required=True)
    contacts = fields.Dict(load_default=None, metadata={
        "description": "X4 (filing_cancelled.v1): the sponsor's mobile and e-mail, sealed (event.contacts.<field>)"})


class SitesCancelledSchema(FilingCancelledSchema):
    """X1: websites of an approved filing cancelled (注销网站) or no longer hosted by this provider (取消接入)."""

    domains = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                          metadata={"description": "the websites' domains (ASCII form)"})


_TOKEN = "v1:sealed-sample"
FILING_SUBMITTED_SAMPLE = {
    "filing_id": "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
    "version": 1,
    "attempt": 1,
    "provider_id": "provider-demo",
    "province": "京",
    "submitted_at": "2026-11-02T09:30:00+08:00",
    "sponsor": {
        "kind": "unit",
        "unit_type": "enterprise",
        "name": "北京示例科技有限公司",
        "document_type": "business_licence",
        "document_number": "91110108MA01C3H77W",
        "province": "京",
    },
    "responsible_person": {
        "name": _TOKEN,
        "document_type": "resident_id",
        "document_number": _TOKEN,
        "role": "legal_representative",
    },
    "contacts": {
        "mobile": _TOKEN,
        "office_phone": _TOKEN,
        "home_phone": None,
        "email": _TOKEN,
        "postal_address": _TOKEN,
    },
    "websites": [
        {
            "name": "示例科技官网",
            "domains": [{"unicode": "例子.中国", "ascii": "xn--fsqu00a.xn--fiqs8s"}],
            "service_content": ["企业官网"],
            "prior_approvals": [],
        }
    ],
    "access": {
        "provider_name": "示例云",
        "access_method": "cloud_server",
        "server_location": "北京市",
        "ip_addresses": ["203.0.113.10"],
    },
    "documents": [
        {
            "kind": "sponsor_document",
            "object": {
                "bucket": "intake-documents",
                "key": "filings/6f1c1c7e/licence",
                "sha256": "0" * 64,
                "content_type": "image/jpeg",
                "size": 1024,
                "version_id": None,
            },
            "reading": {"status": "read", "document": "business_licence",
                        "found": {"name": {"value": _TOKEN, "confidence": 0.998},
                                  "document_number": {"value": _TOKEN, "confidence": 0.997}}},
        }
    ],
    "lookups": {"responsible_person_document": "ab" * 32, "mobile": "cd" * 32},
    "contract_acceptance": {
        "clause_sha256": "ef" * 32,
        "accepted_at": "2026-11-02T09:29:00+08:00",
        "accepted_by": "sponsor",
    },
}

EVENTS.register(
    EventContract(
        FILING_SUBMITTED,
        "intake",
        FilingSubmittedSchema,
        FILING_SUBMITTED_SAMPLE,
        "A sponsor submitted (or resubmitted) a filing; starts pre-verification (P1, P2).",
    )
)
EVENTS.register(
    EventContract(
        FILING_CHANGED,
        "intake",
        FilingChangedSchema,
        {
            **FILING_SUBMITTED_SAMPLE,
            "version": 2,
            "previous_version": 1,
            "filing_number": "京ICP备2026000001号",
        },
        "A sponsor submitted a change (备案变更) of an approved filing as a new version.",
    )
)
EVENTS.register(
    EventContract(
        FILING_CANCELLED,
        "intake",
        FilingCancelledSchema,
        {
            "filing_id": FILING_SUBMITTED_SAMPLE["filing_id"],
            "provider_id": "provider-demo",
            "province": "京",
            "filing_number": "京ICP备2026000001号",
            "reason": "website closed",
            "cancelled_at": "2026-11-03T10:00:00+08:00",
            "cancelled_by": "sponsor",
        },
        "A sponsor cancelled (注销) its filing; the bureau of its province retires the number (routed by province).",
        route=BY_PROVINCE,
    )
)


class ApprovedSitesChangedSchema(_Reader):
    provider_id = fields.String(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    changed_at = fields.AwareDateTime(required=True)
    added = fields.List(fields.String(), required=True)
    removed = fields.List(fields.String(), required=True)
    count = fields.Integer(required=True)


EVENTS.register(
    EventContract(
        APPROVED_SITES_CHANGED,
        "intake",
        ApprovedSitesChangedSchema,
        {
            "provider_id": "provider-demo",
            "revision": 2,
            "changed_at": "2026-11-20T09:31:00+08:00",
            "added": ["xn--fsqu00a.xn--fiqs8s"],
            "removed": [],
            "count": 1,
        },
        "The provider's list of approved domains changed (P8: a site is connected only once its filing is "
        "approved); edge proxies reload GET /approved-sites.",
    )
)


# --- W5 revisits and W6 stock re-verification (issue 9) ---------------------------------------------------------

REVISIT_REQUESTED = "revisit_requested.v1"
REVISIT_ESCALATED = "revisit_escalated.v1"
REVERIFICATION_REQUESTED = "reverification_requested.v1"


class _SealedContactsSchema(_Reader):
    mobile = fields.String(required=True)
    email = fields.String(allow_none=True)


class RevisitRequestedSchema(_Reader):
    """W5: the regular revisit of an approved sponsor; notify asks it by SMS and e-mail to confirm or update its
    data by ``answer_by``. ``contacts`` are sealed with the provider's keys (``event.contacts.<field>``)."""

    revisit_id = fields.String(required=True)
    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    filing_number = fields.String(required=True)
    opened_at = fields.AwareDateTime(required=True)
    answer_by = fields.AwareDateTime(required=True)
    contacts = fields.Nested(_SealedContactsSchema, required=True)


class RevisitEscalatedSchema(_Reader):
    """W5: a revisit went unanswered past ``answer_by``; staff follow it up (no personal data)."""

    revisit_id = fields.String(required=True)
    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    filing_number = fields.String(required=True)
    opened_at = fields.AwareDateTime(required=True)
    answer_by = fields.AwareDateTime(required=True)
    escalated_at = fields.AwareDateTime(required=True)


class ReverificationRequestedSchema(_Reader):
    """W6: a filing approved before face-to-face verification existed must be verified on site by ``deadline``.
    Carries what verification needs to open an on-site window and notify needs to invite the responsible person:
    the filing's data with the personal fields (``personal_paths(sponsor.kind)``) sealed with the provider's keys
    under ``event.<path>``, as ``filing_submitted.v1`` seals them."""

    filing_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    filing_number = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    import_id = fields.String(required=True)
    requested_at = fields.AwareDateTime(required=True)
    deadline = fields.AwareDateTime(required=True)
    sponsor = fields.Nested(SponsorSchema, required=True)
    responsible_person = fields.Nested(ResponsiblePersonSchema, required=True)
    contacts = fields.Nested(ContactsSchema, required=True)
    websites = fields.List(fields.Nested(WebsiteSchema), required=True, validate=validate.Length(min=1))
    access = fields.Nested(AccessSchema, required=True)
    lookups = fields.Nested(LookupsSchema, required=True)


_REVISIT_SAMPLE = {
    "revisit_id": "0b8f0b1e-7d0c-4d55-9a55-3f0e4c1d2a01",
    "filing_id": FILING_SUBMITTED_SAMPLE["filing_id"],
    "provider_id": "provider-demo",
    "province": "京",
    "filing_number": "京ICP备2026000001号",
    "opened_at": "2027-11-20T09:00:00+08:00",
    "answer_by": "2027-12-20T09:00:00+08:00",
}

EVENTS.register(
    EventContract(
        REVISIT_REQUESTED,
        "intake",
        RevisitRequestedSchema,
        {**_REVISIT_SAMPLE, "contacts": {"mobile": _TOKEN, "email": _TOKEN}},
        "A regular revisit of an approved sponsor (W5): it is asked by SMS and e-mail to confirm or update its "
        "data by answer_by.",
    )
)
EVENTS.register(
    EventContract(
        REVISIT_ESCALATED,
        "intake",
        RevisitEscalatedSchema,
        {**_REVISIT_SAMPLE, "escalated_at": "2027-12-20T09:01:00+08:00"},
        "A revisit went unanswered past its answer time (W5); provider staff follow it up.",
    )
)
EVENTS.register(
    EventContract(
        REVERIFICATION_REQUESTED,
        "intake",
        ReverificationRequestedSchema,
        {
            "filing_id": FILING_SUBMITTED_SAMPLE["filing_id"],
            "version": 1,
            "filing_number": "京ICP备2016000001号",
            "provider_id": "provider-demo",
            "province": "京",
            "import_id": "5d2b8c7a-1e0f-4b7e-8a40-6c3f2d1e0b99",
            "requested_at": "2026-12-01T09:00:00+08:00",
            "deadline": "2027-03-01T23:59:59+08:00",
            "sponsor": FILING_SUBMITTED_SAMPLE["sponsor"],
            "responsible_person": FILING_SUBMITTED_SAMPLE["responsible_person"],
            "contacts": FILING_SUBMITTED_SAMPLE["contacts"],
            "websites": FILING_SUBMITTED_SAMPLE["websites"],
            "access": FILING_SUBMITTED_SAMPLE["access"],
            "lookups": FILING_SUBMITTED_SAMPLE["lookups"],
        },
        "A filing approved before face-to-face verification existed (the stock, W6) must be verified on site by "
        "its deadline: notify invites the responsible person by SMS, verification opens an on-site window.",
    )
)

_SITES_CANCELLED = {"filing_id": FILING_SUBMITTED_SAMPLE["filing_id"], "provider_id": "provider-demo", "province": "京",
                    "filing_number": "京ICP备2026000001号", "domains": ["www.example.com.cn"], "reason": "site closed",
                    "cancelled_at": "2026-11-03T10:00:00+08:00", "cancelled_by": "sponsor"}
EVENTS.register(EventContract(
    WEBSITE_CANCELLED, "intake", SitesCancelledSchema, _SITES_CANCELLED,
    "A sponsor cancelled websites (注销网站, X1); the bureau retires their numbers, and the sponsor's number with "
    "its last website (routed by province).", route=BY_PROVINCE))
EVENTS.register(EventContract(
    ACCESS_CANCELLED, "intake", SitesCancelledSchema, _SITES_CANCELLED,
    "A provider no longer hosts websites (取消接入, X1); a website no provider hosts is retired by the bureau "
    "(routed by province).", route=BY_PROVINCE))

# --- X4: drafts expire ------------------------------------------------------------------------------------------------

DRAFT_EXPIRY_ANNOUNCED = "draft_expiry_announced.v1"
DRAFT_EXPIRED = "draft_expired.v1"


class DraftExpirySchema(_Reader):
    """X4: a draft untouched for 30 or 40 days is announced to expire at ``expires_at`` (``reminder`` 1 or 2), and
    expires (cancelled) after 45; ``contacts`` are the mobile and e-mail the draft holds, sealed
    (``event.contacts.<field>``; either may be absent in a draft)."""

    filing_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    reminder = fields.Integer(required=True)
    contacts = fields.Dict(required=True)


_DRAFT_SAMPLE = {"filing_id": FILING_SUBMITTED_SAMPLE["filing_id"], "provider_id": "provider-demo",
                 "expires_at": "2027-01-20T09:00:00+08:00", "contacts": {"mobile": _TOKEN, "email": _TOKEN}}
EVENTS.register(EventContract(
    DRAFT_EXPIRY_ANNOUNCED, "intake", DraftExpirySchema, {**_DRAFT_SAMPLE, "reminder": 1},
    "A draft untouched for 30 (reminder 1) or 40 days (reminder 2) expires at expires_at unless edited (X4).",
))
EVENTS.register(EventContract(
    DRAFT_EXPIRED, "intake", DraftExpirySchema, {**_DRAFT_SAMPLE, "reminder": 2},
    "A draft untouched for 45 days expired: it is cancelled and the sponsor told (X4).",
))
