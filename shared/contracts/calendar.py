"""The HTTP contract for loading a year's State Council schedule into a service that counts working days
(``POST /calendar/years`` on precheck, P2, verification, X4, and the bureau, P8; ``icp-ops calendar load``).

Types only: ``shared.kernel.workdays.parse_schedule`` checks the content (dates inside the year, adjusted
working days on weekends, ...).
"""

from marshmallow import Schema, fields, validate

from shared.kernel.workdays import MAX_YEAR, MIN_YEAR


class HolidayInput(Schema):
    date = fields.String(required=True)
    name = fields.String(required=True)


class CalendarYearInput(Schema):
    """An administrator's schedule: the JSON object of the year's notice."""

    year = fields.Integer(required=True, validate=validate.Range(min=MIN_YEAR, max=MAX_YEAR))
    holidays = fields.List(fields.Nested(HolidayInput), required=True)
    workdays = fields.List(fields.String(), required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=300))


class CalendarYearLoaded(Schema):
    """The answer: the year now official in the service and how many open deadlines were recomputed."""

    year = fields.Integer(required=True)
    recomputed_deadlines = fields.Integer(required=True)
