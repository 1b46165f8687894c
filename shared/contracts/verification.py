"""Events the verification service produces (P3–P7, W4).

Provider-internal events (window, on-site outcome) seal personal fields with the provider's keys under
``event.<field>``, as precheck does. ``filing_sent_to_bureau.v1`` crosses to another actor: its personal fields
(``personal_paths`` of the intake contract, under ``filing.``) are sealed with the exchange ring under
``exchange.<path>`` (docs/decisions/0001-personal-data-between-actors.md), and it is routed to the bureau of the
sponsor's province only (``Route`` on ``province``, R2.1). Binaries never travel: evidence is referenced by object
(bucket, key, sha256, content type, size, version).
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.intake import (
    FILING_SUBMITTED_SAMPLE,
    AccessSchema,
    ContactsSchema,
    ObjectRefSchema,
    ResponsiblePersonSchema,
    SponsorSchema,
    WebsiteSchema,
)
from shared.contracts.precheck import ReasonSchema
from shared.contracts.registry import EVENTS, EventContract
from shared.contracts.routes import BY_PROVINCE

ONSITE_WINDOW_OPENED = "onsite_window_opened.v1"
ONSITE_WINDOW_EXPIRING = "onsite_window_nearly_expired.v1"
ONSITE_WINDOW_EXPIRED = "onsite_window_expired.v1"
ONSITE_VERIFIED = "onsite_verified.v1"
ONSITE_REJECTED = "onsite_rejected.v1"
FILING_SENT_TO_BUREAU = "filing_sent_to_bureau.v1"

EXCHANGE_CONTEXT = "exchange"


class _Reader(Schema):
    class Meta:
        unknown = EXCLUDE


class WindowSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    attempt = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)


class WindowClosingSchema(WindowSchema):
    """3 working days are left of the window (P3, X4): staff are warned and the sponsor reminded by SMS at
    ``mobile`` (sealed, ``event.mobile``; absent from events sent before X4: nobody is texted)."""

    mobile = fields.String(load_default=None)


class WindowExpiredSchema(WindowSchema):
    """The responsible person did not come within the month (P3): the filing returns to the sponsor, who is told
    by SMS at ``mobile`` (sealed, ``event.mobile``)."""

    mobile = fields.String(required=True)


class OnsiteOutcomeSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    attempt = fields.Integer(required=True)
    provider_id = fields.String(required=True)
    decided_at = fields.AwareDateTime(required=True)
    decided_by = fields.String(required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    corrections = fields.Integer(required=True, metadata={"description": "fields corrected on site (P6)"})
    mobile = fields.String(load_default=None, metadata={
        "description": "X4 (onsite_rejected.v1): the sponsor's mobile, sealed (``event.mobile``)"})


class FilingDataSchema(_Reader):
    """The filing as verified on site (corrections applied); personal fields sealed under ``exchange.<path>``."""

    sponsor = fields.Nested(SponsorSchema, required=True)
    responsible_person = fields.Nested(ResponsiblePersonSchema, required=True)
    contacts = fields.Nested(ContactsSchema, required=True)
    websites = fields.List(fields.Nested(WebsiteSchema), required=True, validate=validate.Length(min=1))
    access = fields.Nested(AccessSchema, required=True)


class EvidenceSchema(_Reader):
    """What the bureau may open (B1): the sealed form's two copies, the photo, copies of the originals, the
    domain-owner lookups and the signed security agreement."""

    form_provider_copy = fields.Nested(ObjectRefSchema, required=True)
    form_bureau_copy = fields.Nested(ObjectRefSchema, required=True)
    photo = fields.Nested(ObjectRefSchema, required=True)
    document_copies = fields.List(fields.Nested(ObjectRefSchema), required=True)
    domain_lookups = fields.List(fields.Nested(ObjectRefSchema), required=True)
    security_agreement = fields.Nested(ObjectRefSchema, required=True)


class FilingSentToBureauSchema(_Reader):
    filing_id = fields.String(required=True)
    version = fields.Integer(required=True)
    attempt = fields.Integer(required=True)
    submission = fields.Integer(
        required=True, validate=validate.Range(min=1),
        metadata={"description": "1 for the first sending of this version, +1 after each bureau return (P8)"},
    )
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    change_of = fields.String(
        allow_none=True, required=True,
        metadata={"description": "the filing number a change (备案变更) changes; null for a new filing"},
    )
    sent_at = fields.AwareDateTime(required=True)
    sent_by = fields.String(required=True)
    verified_at = fields.AwareDateTime(required=True)
    verified_by = fields.String(required=True)
    filing = fields.Nested(FilingDataSchema, required=True)
    evidence = fields.Nested(EvidenceSchema, required=True)
    corrections = fields.List(fields.Dict(), required=True,
                              metadata={"description": "P6: {field, before, after, by, at}; personal values sealed"})


_FILING = FILING_SUBMITTED_SAMPLE["filing_id"]
_WINDOW = {
    "filing_id": _FILING,
    "version": 1,
    "attempt": 1,
    "provider_id": "provider-demo",
    "opens_at": "2026-11-03T09:30:00+08:00",
    "closes_at": "2026-12-03T09:30:00+08:00",
}
_TOKEN = "v1:sealed-sample"


def _ref(key: str, content_type: str) -> dict:
    return {"bucket": "verification-evidence", "key": key, "sha256": "0" * 64, "content_type": content_type,
            "size": 2048, "version_id": "v-1"}


_OUTCOME = {
    "filing_id": _FILING,
    "version": 1,
    "attempt": 1,
    "provider_id": "provider-demo",
    "decided_at": "2026-11-10T10:00:00+08:00",
    "decided_by": "verifier-1",
    "reasons": [],
    "corrections": 0,
}

EVENTS.register(EventContract(
    ONSITE_WINDOW_OPENED, "verification", WindowSchema, _WINDOW,
    "Pre-verification passed: the responsible person may come in person within 1 month (P3).",
))
EVENTS.register(EventContract(
    ONSITE_WINDOW_EXPIRING, "verification", WindowClosingSchema, {**_WINDOW, "mobile": _TOKEN},
    "3 working days are left of the window for on-site verification (P3): staff are warned and the sponsor is "
    "reminded by SMS (X4).",
))
EVENTS.register(EventContract(
    ONSITE_WINDOW_EXPIRED, "verification", WindowExpiredSchema, {**_WINDOW, "mobile": _TOKEN},
    "Nobody came within 1 month (P3): the filing returns to the sponsor, who is told by SMS.",
))
EVENTS.register(EventContract(
    ONSITE_VERIFIED, "verification", OnsiteOutcomeSchema, _OUTCOME,
    "Photo, originals, domain owner and access information verified on site; the form is sealed (P4–P6).",
))
EVENTS.register(EventContract(
    ONSITE_REJECTED, "verification", OnsiteOutcomeSchema,
    {**_OUTCOME, "reasons": [{"field": "responsible_person.document_number", "code": "mismatch",
                              "message": "The original document says otherwise.", "rule": "P5"}]},
    "Not accepted on site (不予受理, P5): the originals differ from the submitted data, with the differing fields.",
))
EVENTS.register(EventContract(
    FILING_SENT_TO_BUREAU, "verification", FilingSentToBureauSchema,
    {
        "filing_id": _FILING,
        "version": 1,
        "attempt": 1,
        "submission": 1,
        "provider_id": "provider-demo",
        "province": "京",
        "change_of": None,
        "sent_at": "2026-11-10T10:05:00+08:00",
        "sent_by": "verifier-1",
        "verified_at": "2026-11-10T10:00:00+08:00",
        "verified_by": "verifier-1",
        "filing": {key: FILING_SUBMITTED_SAMPLE[key]
                   for key in ("sponsor", "responsible_person", "contacts", "websites", "access")},
        "evidence": {
            "form_provider_copy": _ref("filings/6f1c1c7e/v1/form-provider.pdf", "application/pdf"),
            "form_bureau_copy": _ref("filings/6f1c1c7e/v1/form-bureau.pdf", "application/pdf"),
            "photo": _ref("filings/6f1c1c7e/v1/photo.jpg", "image/jpeg"),
            "document_copies": [_ref("filings/6f1c1c7e/v1/copy-sponsor.jpg", "image/jpeg")],
            "domain_lookups": [_ref("filings/6f1c1c7e/v1/rdap-example.json", "application/json")],
            "security_agreement": _ref("filings/6f1c1c7e/v1/agreement.pdf", "application/pdf"),
        },
        "corrections": [],
    },
    "The provider submits the verified filing with its form and evidence to the bureau of the sponsor's province "
    "(P7); routed by province.",
    route=BY_PROVINCE,
))
