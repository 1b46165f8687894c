"""X3: the sponsor's province's own rules, applied while the form is filled in: each breach that fails a filing
at pre-verification is a draft problem, citing its rule (``<id>@provinces-<version>``) and its source."""

from datetime import date

from shared.contracts.errors import FieldError
from shared.kernel.province_rules import ProvinceRules, check_filing


def province_problems(rules: ProvinceRules, data: dict, today: date) -> list[FieldError]:
    """The draft problems of the province's rules in force ``today``; rules whose severity is ``review`` are
    left to pre-verification's staff (they do not stop a submission)."""
    return [FieldError(p.field, p.code, p.message, p.rule, p.params)
            for p in check_filing(rules, data, today) if p.severity == "fail"]
