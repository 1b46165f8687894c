"""marshmallow schemas of precheck's HTTP and RPC input (types only; rules live in domain.py)."""

from marshmallow import Schema, fields, validate

from precheck.codes import CODE_LENGTH


class CodeInput(Schema):
    code = fields.String(required=True, validate=validate.Regexp(rf"^\s*[0-9]{{{CODE_LENGTH}}}\s*$"))


class ReasonInput(Schema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=120))
    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    message = fields.String(required=True, validate=validate.Length(min=1, max=500))
    rule = fields.String(required=True, validate=validate.Length(min=1, max=60))


class DecisionInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["pass", "fail"]))
    reasons = fields.List(fields.Nested(ReasonInput), load_default=list, validate=validate.Length(max=50))
