"""The JSON body limits of shared/platform/http.py (issue 17 point 2), at their boundaries: what passes, and the
400 naming what does not. tests/system/test_hostile_input.py shows the same over HTTP on every route."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.contracts.errors import BadRequest
from shared.platform.http import MAX_JSON_DEPTH, MAX_JSON_INT_DIGITS, read_json

pytestmark = pytest.mark.unit


def _read(body: bytes):
    return read_json(Request(EnvironBuilder(method="POST", data=body).get_environ()))


def _refusal(body: bytes) -> str:
    with pytest.raises(BadRequest) as refused:
        _read(body)
    (error,) = refused.value.errors
    assert (error["field"], error["rule"]) == ("body", "API")
    return error["code"]


@pytest.mark.req("W4")
@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")])
def test_nesting_up_to_the_limit_passes_and_one_deeper_is_too_deep(opener, closer):
    assert _read((opener * MAX_JSON_DEPTH + "1" + closer * MAX_JSON_DEPTH).encode()) is not None
    deeper = MAX_JSON_DEPTH + 1
    assert _refusal((opener * deeper + "1" + closer * deeper).encode()) == "too_deep"
    assert _refusal((opener * 100_000).encode()) == "too_deep"  # past the interpreter's recursion limit


@pytest.mark.req("W4")
def test_integers_of_the_limit_pass_and_longer_ones_are_refused():
    assert _read(json.dumps({"n": -int("9" * MAX_JSON_INT_DIGITS)}).encode()) == {"n": -int("9" * 20)}
    assert _refusal(b'{"n": 1' + b"0" * MAX_JSON_INT_DIGITS + b"}") == "number_too_long"
    assert _refusal(b"9" * 5000) == "number_too_long"  # past Python's int-from-str limit (4300 digits)


@pytest.mark.req("W4")
@pytest.mark.parametrize("body", [b"NaN", b'{"x": Infinity}', b"[-Infinity]", b'{"x": 1e999}'])
def test_numbers_that_are_not_finite_are_refused(body):
    assert _refusal(body) == "number"


@pytest.mark.req("W4")
@given(st.integers(0xD800, 0xDFFF), st.booleans())
@settings(max_examples=200, database=None, derandomize=True)
def test_a_lone_surrogate_in_a_key_or_a_string_is_refused(point, in_key):
    escape = f'"name\\u{point:04x}"'
    assert _refusal(f'{{{escape}: 1}}'.encode() if in_key else f'{{"a": {escape}}}'.encode()) == "surrogate"


@pytest.mark.req("W4")
def test_a_surrogate_pair_is_a_character_and_passes():
    assert _read(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
