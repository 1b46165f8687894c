"""Wire errors shared by every service, and the field error a person sees (design.md §3).

Each class is registered with nameko's ``deserialize_to_instance`` so that an RPC caller gets the same
class back, and each is constructible from its JSON-serialisable args.
"""

from dataclasses import dataclass

from marshmallow import Schema, fields
from nameko.exceptions import deserialize_to_instance


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``rule`` is a requirement ID or rulebook entry so a sponsor sees why.

    ``message`` is the service's English sentence; the HTTP answer carries the catalogue's sentence for ``code``
    in the caller's language instead (shared/i18n). ``params`` are the values that sentence names (a limit, a
    position), sent only when there are some."""

    field: str
    code: str
    message: str
    rule: str
    params: dict | None = None

    def to_dict(self) -> dict:
        out = {"field": self.field, "code": self.code, "message": self.message, "rule": self.rule}
        if self.params:
            out["params"] = dict(self.params)
        return out


class WireError(Exception):
    """Base of the errors that cross the wire; ``status`` is the HTTP status an edge maps it to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message, errors or [])
        self.message = message
        self.errors = errors or []

    def __str__(self) -> str:
        return self.message

    @classmethod
    def about(cls, field: str, code: str, message: str, rule: str, params: dict | None = None) -> "WireError":
        """The common case: one problem with one field, its message also the error's message."""
        return cls(message, [FieldError(field, code, message, rule, params).to_dict()])

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}


@deserialize_to_instance
class BadRequest(WireError):
    """The request itself is unreadable: malformed JSON, wrong types, missing header."""


@deserialize_to_instance
class ValidationFailed(WireError):
    """Well-formed input that breaks one or more rules; ``errors`` lists every problem at once."""

    status = 422
    code = "validation_failed"


@deserialize_to_instance
class NotFound(WireError):
    status = 404
    code = "not_found"


@deserialize_to_instance
class Conflict(WireError):
    """The request does not fit the current state (e.g. submitting a filing twice)."""

    status = 409
    code = "conflict"


@deserialize_to_instance
class PayloadTooLarge(WireError):
    status = 413
    code = "payload_too_large"


@deserialize_to_instance
class UnsupportedMediaType(WireError):
    status = 415
    code = "unsupported_media_type"


@deserialize_to_instance
class Unauthorized(WireError):
    """No bearer token, or one that is malformed, expired, tampered or for another audience (issue 8)."""

    status = 401
    code = "unauthorized"


@deserialize_to_instance
class Forbidden(WireError):
    """A valid identity whose role may not do this (issue 8); never says whether a resource exists."""

    status = 403
    code = "forbidden"


@deserialize_to_instance
class TooManyRequests(WireError):
    """A rate limit (issue 8: sign-in codes per number and per client); retry later."""

    status = 429
    code = "too_many_requests"


@deserialize_to_instance
class ServiceUnavailable(WireError):
    """A collaborator this request needs (e.g. the SMS service) did not answer in time; retry later."""

    status = 503
    code = "unavailable"


def field_errors(*errors: FieldError) -> list[dict]:
    return [e.to_dict() for e in errors]


def from_marshmallow(messages: dict, *, rule: str, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested error dict into ``{field, code, message, rule}`` entries.

    Field paths use dots and list indexes (``websites.0.domains.1``), the same paths the rules use.
    """
    out: list[dict] = []
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.extend(from_marshmallow(value, rule=rule, prefix=path))
        else:
            for message in value if isinstance(value, list) else [value]:
                if isinstance(message, dict):
                    out.extend(from_marshmallow(message, rule=rule, prefix=path))
                else:
                    out.append(FieldError(path, _code_of(str(message)), str(message), rule).to_dict())
    return out


MARSHMALLOW_CODES = (
    ("missing data", "required"),
    ("unknown field", "unknown_field"),
    ("not a valid", "type"),
    ("must be one of", "choice"),
    ("length", "length"),
    ("field may not be null", "required"),
    ("does not match expected pattern", "format"),
    ("must be greater than", "range"),
    ("must be less than", "range"),
)
"""A needle of marshmallow's own (English) validation messages and the stable code it becomes, so that the
message catalogue can say it in the caller's language; anything else is ``invalid``."""


def _code_of(message: str) -> str:
    lowered = message.lower()
    for needle, code in MARSHMALLOW_CODES:
        if needle in lowered:
            return code
    return "invalid"


class FieldErrorOutput(Schema):
    """A :class:`FieldError` on the wire, for the OpenAPI documents."""

    field = fields.String()
    code = fields.String()
    message = fields.String(metadata={"description": "In the caller's Accept-Language (Simplified Chinese when "
                                                      "it names none we have)"})
    rule = fields.String()
    params = fields.Dict(metadata={"description": "Values the message names (a limit, a position), when any"})


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String(metadata={"description": "In the caller's Accept-Language"})
    errors = fields.List(fields.Nested(FieldErrorOutput))


class ErrorOutput(Schema):
    """Every HTTP error answer of every service: a code, a message and each field with the rule it broke."""

    error = fields.Nested(ErrorBody)
