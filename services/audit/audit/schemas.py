"""Request bodies and query strings of the audit service's HTTP interface."""

from marshmallow import EXCLUDE, Schema, fields, validate


class SampleInput(Schema):
    class Meta:
        unknown = EXCLUDE

    month = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$"))
    seed = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**62))


class PhoneCheckInput(Schema):
    class Meta:
        unknown = EXCLUDE

    result = fields.String(required=True)


class StatisticsQuery(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "png"]))
