"""shared.kernel.contacts: mobile, landline, e-mail and postal address (R1.6, requirements §4)."""

import contextlib
import re

import pytest
from email_validator import EmailNotValidError

from shared.kernel.contacts import (
    ADDRESS_MAX_LENGTH,
    ADDRESS_MIN_LENGTH,
    normalise_typed_contact,
    validate_email,
    validate_landline,
    validate_mobile,
    validate_postal_address,
)
from shared.kernel.errors import InvalidValue


def error(call) -> tuple[str, str]:
    with pytest.raises(InvalidValue) as caught:
        call()
    return caught.value.code, caught.value.rule


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("19912345678", "19912345678"),
        ("16612345678", "16612345678"),
        ("17012345678", "17012345678"),  # virtual operator
        ("14512345678", "14512345678"),
    ],
)
def test_valid_mobile_numbers_normalise_to_11_digits(text, expected):
    assert validate_mobile(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.6")
def test_every_accepted_mobile_number_is_11_digits_starting_with_1():
    accepted = []
    for prefix in range(100, 200):
        for text in (f"{prefix}00138000", f"+86 {prefix}0013800"):
            with contextlib.suppress(InvalidValue):
                accepted.append(validate_mobile(text))
    assert len(accepted) > 50
    assert all(re.fullmatch(r"1[0-9]{10}", number) for number in accepted)


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "format"),
        ("abc", "format"),
        ("1380013800", "format"),  # 10 digits
        ("138001380001", "format"),  # 12 digits
        ("12345678901", "format"),  # no such range
        ("+1 650 253 0000", "format"),  # not mainland China
        ("+852 6123 4567", "format"),  # Hong Kong
        ("13800138000 ext 12", "format"),
        ("010-12345678", "not_mobile"),
        ("4008001234", "not_mobile"),
    ],
)
def test_invalid_mobile_numbers(text, code):
    assert error(lambda: validate_mobile(text)) == (code, "R1.6")


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-12345678", "010-12345678"),
        ("0571 87654321", "0571-87654321"),
        ("0571-8765-4321", "0571-87654321"),
        ("+86 10 1234 5678", "010-12345678"),
        ("(010) 1234 5678", "010-12345678"),
        ("0755-88888888", "0755-88888888"),
        ("0991-1234567", "0991-1234567"),  # 7-digit subscriber number
        ("010 12345678 转 8001", "010-12345678-8001"),
        ("010-12345678分机8001", "010-12345678-8001"),
        ("010-12345678-8001", "010-12345678-8001"),
        ("010-12345678 ext. 8001", "010-12345678-8001"),
        ("010-12345678#8001", "010-12345678-8001"),
    ],
)
def test_valid_landlines_normalise_to_area_code_dash_number(text, expected):
    assert validate_landline(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "format"),
        ("12345678", "format"),  # no area code
        ("010-1234567", "format"),  # Beijing numbers have 8 digits
        ("010-12345678-1234567", "format"),  # extension too long
        ("+1 650 253 0000", "format"),
        ("13800138000", "not_landline"),
        ("4008001234", "not_landline"),
    ],
)
def test_invalid_landlines(text, code):
    assert error(lambda: validate_landline(text)) == (code, "R1.6")


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zhang.san@example.com.cn", "zhang.san@example.com.cn"),
        (" User@Example.COM ", "User@example.com"),
        ("用户@例子.中国", "用户@例子.中国"),
        ("x@xn--fsqu00a.xn--fiqs8s", "x@例子.中国"),
        ("a@bücher.de", "a@bücher.de"),
    ],
)
def test_valid_email_addresses_are_normalised_without_dns(text, expected):
    assert validate_email(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    "text",
    [
        "",
        "zhangsan",
        "a@b",
        "zhangsan@localhost",
        "a b@c.cn",
        "a@b..cn",
        ".a@b.cn",
        "zhangsan@example.invalid",
    ],
)
def test_invalid_email_addresses(text):
    assert error(lambda: validate_email(text)) == ("format", "R1.6")


@pytest.mark.unit
@pytest.mark.req("R1.6")
def test_email_errors_explain_without_repeating_the_address():
    with pytest.raises(InvalidValue) as caught:
        validate_email("zhangsan@exa_mple.com")
    assert "zhangsan" not in caught.value.message
    assert "exa_mple.com" not in caught.value.message
    assert "invalid characters" in caught.value.message


@pytest.mark.unit
@pytest.mark.req("R1.6")
def test_email_explanations_that_would_repeat_the_address_are_replaced(monkeypatch):
    def reject(address, **_):
        raise EmailNotValidError(f"The domain name {address.split('@')[1]} is reserved.")

    monkeypatch.setattr("shared.kernel.contacts._check_email", reject)
    with pytest.raises(InvalidValue) as caught:
        validate_email("zhangsan@mail.zhang.cn")
    assert "mail.zhang.cn" not in caught.value.message
    assert caught.value.message.startswith("This is not a valid e-mail address.")


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京市海淀区中关村大街1号", "北京市海淀区中关村大街1号"),
        (" 北京市  海淀区\n中关村大街 1 号 ", "北京市 海淀区 中关村大街 1 号"),
        ("x" * ADDRESS_MIN_LENGTH, "x" * ADDRESS_MIN_LENGTH),
        ("x" * ADDRESS_MAX_LENGTH, "x" * ADDRESS_MAX_LENGTH),
        ("上海市浦东新区\ue000路1号", "上海市浦东新区\ue000路1号"),  # a rare character in private use
    ],
)
def test_valid_postal_addresses_are_trimmed(text, expected):
    assert validate_postal_address(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        (" \n\t ", "required"),
        ("北京", "length"),
        ("x" * (ADDRESS_MIN_LENGTH - 1), "length"),
        ("x" * (ADDRESS_MAX_LENGTH + 1), "length"),
        ("北京市\x00海淀区", "hidden_character"),
        ("北京市\u200b海淀区", "hidden_character"),  # zero-width space
        ("北京市\u202e海淀区", "hidden_character"),  # right-to-left override
        ("北京市\u2066海淀区", "hidden_character"),  # left-to-right isolate
    ],
)
def test_invalid_postal_addresses(text, code):
    assert error(lambda: validate_postal_address(text)) == (code, "R1.6")


@pytest.mark.unit
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１３８００１３８０００", "13800138000"),
        (" ＋８６ １３８ ００１３ ８０００ ", "+86 138 0013 8000"),
        ("０１０－６２３４５６７８", "010-62345678"),
        ("ｚｈａｎｇｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ．ｃｎ\u3000", "zhangsan@example.com.cn"),
    ],
)
def test_typed_contacts_are_normalised_once(text, expected):
    assert normalise_typed_contact(text) == expected
