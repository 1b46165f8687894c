"""The event envelope every service publishes (design.md §3).

``{"meta": {id, type, source, occurred_at, correlation_id, schema_version}, "data": {...}}``; the
``correlation_id`` is the filing's id and is bound into every log line of the filing's journey.
"""

import uuid
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, fields, validate

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*_[a-z]+\.v[1-9][0-9]*$"


class MetaSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN))
    source = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(required=True)
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))


def schema_version_of(event_type: str) -> int:
    """``filing_submitted.v3`` -> 3."""
    return int(event_type.rsplit(".v", 1)[1])


def make_envelope(
    event_type: str,
    source: str,
    data: dict,
    correlation_id: str,
    *,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    """Wrap ``data`` in an envelope; ``event_id`` is what idempotent consumers deduplicate on."""
    return {
        "meta": {
            "id": event_id or str(uuid.uuid4()),
            "type": event_type,
            "source": source,
            "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
            "correlation_id": correlation_id,
            "schema_version": schema_version_of(event_type),
        },
        "data": data,
    }
