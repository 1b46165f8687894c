"""verification's HTTP input schemas: what the API fuzz run (issue 8) found must be a 400, not a 500."""

import pytest
from marshmallow import ValidationError

from verification.schemas import PeriodQuery

pytestmark = pytest.mark.unit


@pytest.mark.req("W1")
def test_a_period_end_that_has_no_utc_time_is_refused_naming_the_field():
    # 0001-01-01T00:00+00:03 is 23:57 on 31 December of year 0 in UTC, which neither Python nor PostgreSQL has.
    with pytest.raises(ValidationError) as refused:
        PeriodQuery().load({"since": "2000-01-01T00:00:00Z", "until": "0001-01-01T00:00:00+00:03"})
    assert list(refused.value.messages) == ["until"]
    period = PeriodQuery().load({"since": "2020-01-01T00:00:00+08:00", "until": "2100-01-01T00:00:00+08:00"})
    assert period["since"] < period["until"]
