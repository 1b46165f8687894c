"""shared.kernel.errors: the error every kernel validator raises.

A person sees ``{field, code, message, rule}`` (design.md §3); the message never repeats the personal value it
judges, so errors can be logged and returned without leaking identity or contact data (W4).
"""

import datetime

import pytest

from shared.kernel.contacts import validate_email, validate_landline, validate_mobile, validate_postal_address
from shared.kernel.documents import validate_person_document, validate_unit_document
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import validate_resident_id, validate_uscc
from shared.kernel.network import validate_domain, validate_ip

TODAY = datetime.date(2026, 5, 1)


@pytest.mark.unit
@pytest.mark.req("W4")
def test_invalid_value_carries_code_message_and_rule():
    err = InvalidValue("check_digit", "The check digit is wrong.", "GB 11643-1999")
    assert isinstance(err, ValueError)
    assert (err.code, err.message, err.rule) == ("check_digit", "The check digit is wrong.", "GB 11643-1999")
    assert str(err) == "The check digit is wrong."
    assert repr(err) == (
        "InvalidValue(code='check_digit', message='The check digit is wrong.', rule='GB 11643-1999')"
    )
    assert err.field_error("responsible_person.document_number") == {
        "field": "responsible_person.document_number",
        "code": "check_digit",
        "message": "The check digit is wrong.",
        "rule": "GB 11643-1999",
    }


@pytest.mark.unit
@pytest.mark.req("W4")
@pytest.mark.parametrize(
    ("value", "call"),
    [
        ("110105194912310021", lambda v: validate_resident_id(v, TODAY)),
        ("110105202701010023", lambda v: validate_resident_id(v, TODAY)),
        ("E12345678!", lambda v: validate_person_document("passport", v, TODAY)),
        ("91110000600037341M", validate_uscc),
        ("91110000600037341M", lambda v: validate_unit_document("enterprise", "business_licence", v)),
        ("1380013800", validate_mobile),
        ("13800138000", validate_landline),
        ("zhangsan@localhost", validate_email),
        ("北京\x00市海淀区某街", validate_postal_address),
        ("http://zhangsan.example.com", validate_domain),
        ("10.1.2.300", validate_ip),
    ],
)
def test_messages_do_not_repeat_the_value(value, call):
    with pytest.raises(InvalidValue) as caught:
        call(value)
    assert value not in caught.value.message
    assert caught.value.message.endswith(".")
