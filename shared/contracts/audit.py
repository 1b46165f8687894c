"""Events the audit service produces (P9, C1–C4) for the filing center.

A finding goes back to the bureau of the filing's province (routed, R2.1) and to the provider; it carries no
personal data: the reasons name fields and rules, not values.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.intake import FILING_SUBMITTED_SAMPLE
from shared.contracts.precheck import ReasonSchema
from shared.contracts.registry import EVENTS, EventContract
from shared.contracts.routes import BY_PROVINCE

AUDIT_FINDING_RAISED = "audit_finding_raised.v1"


class FindingSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    finding_id = fields.String(required=True)
    filing_id = fields.String(required=True)
    filing_number = fields.String(required=True)
    provider_id = fields.String(required=True)
    province = fields.String(required=True)
    check = fields.String(required=True, validate=validate.OneOf(["id_check", "spot_check", "quarterly"]))
    rules_version = fields.String(required=True, metadata={"description": "C3: the check standard applied"})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True, validate=validate.Length(min=1))
    raised_at = fields.AwareDateTime(required=True)


EVENTS.register(EventContract(
    AUDIT_FINDING_RAISED, "audit", FindingSchema,
    {
        "finding_id": "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b",
        "filing_id": FILING_SUBMITTED_SAMPLE["filing_id"],
        "filing_number": "京ICP备2026000001号",
        "provider_id": "provider-demo",
        "province": "京",
        "check": "id_check",
        "rules_version": "2026.1",
        "reasons": [{"field": "responsible_person.document_number", "code": "authority_mismatch",
                     "message": "Public security does not know this name with this ID number.", "rule": "P9"}],
        "raised_at": "2026-11-21T02:00:00+08:00",
    },
    "The filing center's check found a filing's ID information wrong (P9, C1, C2); to its bureau and provider.",
    route=BY_PROVINCE,
))


# --- shell sites (X5) -------------------------------------------------------------------------------------------

SHELL_SITE_FOUND = "shell_site_found.v2"
SHELL_SITE_CLEARED = "shell_site_cleared.v2"
SHELL_SITE_REASONS = ("not_in_inventory", "resolves_outside", "no_answer")
SHELL_SITE_CLEARED_REASONS = ("hosted_again", "resolves_again", "no_longer_approved")
# v1: the inventory's findings only (issue 22 added the probe's); registered so that events of v1 still queued are
# read and trailed, no longer published.
SHELL_SITE_FOUND_V1 = "shell_site_found.v1"
SHELL_SITE_CLEARED_V1 = "shell_site_cleared.v1"


class ShellSiteFoundSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    finding_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    domain = fields.String(required=True, metadata={"description": "ASCII (punycode) form"})
    found_at = fields.AwareDateTime(required=True)
    rectify_by = fields.AwareDateTime(required=True, metadata={"description": "X5: end of the rectification window"})
    inventory_import_id = fields.String(required=True, metadata={"description": "the inventory that lacks it"})


class ShellSiteClearedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    finding_id = fields.String(required=True)
    provider_id = fields.String(required=True)
    domain = fields.String(required=True)
    found_at = fields.AwareDateTime(required=True)
    cleared_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("hosted_again", "no_longer_approved")))


class ShellSiteFoundV2Schema(ShellSiteFoundSchema):
    reason = fields.String(required=True, validate=validate.OneOf(SHELL_SITE_REASONS), metadata={
        "description": "X5: missing from the inventory, or the probe found it resolving outside the provider's "
                       "ranges or not answering HEAD"})
    inventory_import_id = fields.String(required=True, allow_none=True,
                                        metadata={"description": "the inventory that lacks it (not_in_inventory)"})
    addresses = fields.List(fields.String(), required=True,
                            metadata={"description": "what the probe resolved it to, CNAMEs followed (else [])"})
    failing_since = fields.AwareDateTime(required=True, allow_none=True,
                                         metadata={"description": "the probe's first failure of the run"})


class ShellSiteClearedV2Schema(ShellSiteClearedSchema):
    reason = fields.String(required=True, validate=validate.OneOf(SHELL_SITE_CLEARED_REASONS))


EVENTS.register(EventContract(
    SHELL_SITE_FOUND, "audit", ShellSiteFoundV2Schema,
    {
        "finding_id": "3c1e0f4a-7b2d-4c9e-8f1a-6d5b4a3c2e10",
        "provider_id": "provider-demo",
        "domain": "www.example.com.cn",
        "reason": "resolves_outside",
        "found_at": "2026-12-07T10:00:00+08:00",
        "rectify_by": "2027-01-06T10:00:00+08:00",
        "inventory_import_id": None,
        "addresses": ["203.0.113.10"],
        "failing_since": "2026-12-04T10:00:00+08:00",
    },
    "An approved site is no longer hosted by its provider (空壳, X5): missing from its hosted-site inventory, or "
    "for days resolving outside its ranges (CDN ranges count as its own) or not answering; a finding for the "
    "provider's staff with the end of its rectification window.",
))

EVENTS.register(EventContract(
    SHELL_SITE_CLEARED, "audit", ShellSiteClearedV2Schema,
    {
        "finding_id": "3c1e0f4a-7b2d-4c9e-8f1a-6d5b4a3c2e10",
        "provider_id": "provider-demo",
        "domain": "www.example.com.cn",
        "found_at": "2026-12-07T10:00:00+08:00",
        "cleared_at": "2026-12-09T10:00:00+08:00",
        "reason": "resolves_again",
    },
    "A shell-site finding closed (X5): the site is in the provider's inventory again, resolves into its ranges "
    "and answers again, or is no longer approved.",
))

EVENTS.register(EventContract(
    SHELL_SITE_FOUND_V1, "audit", ShellSiteFoundSchema,
    {
        "finding_id": "3c1e0f4a-7b2d-4c9e-8f1a-6d5b4a3c2e10",
        "provider_id": "provider-demo",
        "domain": "www.example.com.cn",
        "found_at": "2026-12-07T10:00:00+08:00",
        "rectify_by": "2027-01-06T10:00:00+08:00",
        "inventory_import_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    },
    "An approved site is no longer in its provider's hosted-site inventory (空壳, X5); superseded by "
    "shell_site_found.v2, no longer published.",
))

EVENTS.register(EventContract(
    SHELL_SITE_CLEARED_V1, "audit", ShellSiteClearedSchema,
    {
        "finding_id": "3c1e0f4a-7b2d-4c9e-8f1a-6d5b4a3c2e10",
        "provider_id": "provider-demo",
        "domain": "www.example.com.cn",
        "found_at": "2026-12-07T10:00:00+08:00",
        "cleared_at": "2026-12-09T10:00:00+08:00",
        "reason": "hosted_again",
    },
    "A shell-site finding closed (X5): the site is in the provider's inventory again, or no longer approved; "
    "superseded by shell_site_cleared.v2, no longer published.",
))
