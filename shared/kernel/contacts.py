"""Contact details of the responsible person or individual sponsor (R1.6, requirements §4).

Phone numbers are read with Google's libphonenumber metadata (``phonenumbers``) for mainland China (+86), so
number ranges follow the operators' real allocations. E-mail addresses are checked for syntax only
(``email-validator`` without DNS): the kernel does no I/O, and the provider confirms contacts by phone or
e-mail in pre-verification (P2).
"""

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email as _check_email
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

from shared.kernel.documents import validate_typed_text
from shared.kernel.errors import InvalidValue

RULE = "R1.6"

CHINA_COUNTRY_CODE = 86

ADDRESS_MIN_LENGTH = 5
ADDRESS_MAX_LENGTH = 200

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_LANDLINE_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)

# libphonenumber knows "ext", "x" and "#" but not the Chinese words for an extension.
_EXTENSION_WORDS = re.compile(r"\s*(?:转|分机)\s*")
# "010-12345678-123": a trailing hyphenated group is an extension only if the rest is a whole number.
_TRAILING_GROUP = re.compile(r"(?P<number>.*[0-9])\s*-\s*(?P<extension>[0-9]{1,6})")


def normalise_typed_contact(text: str) -> str:
    """A phone number or e-mail address as typed, in the one form intake stores, masks and indexes
    (issue 17): NFKC-normalised (full-width digits, ``＋``, ``＠`` and letters become ASCII) and trimmed. The
    validators below give the canonical form (``13800138000``, ``010-12345678``) at submission."""
    return unicodedata.normalize("NFKC", text).strip()


def _parse_cn(text: str) -> PhoneNumber | None:
    """``text`` as a valid mainland China number, or None."""
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        return None
    if number.country_code != CHINA_COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        return None
    return number


def validate_mobile(text: str) -> str:
    """A mainland mobile number as its 11 digits, e.g. ``13800138000`` (R1.6, requirements §4).

    Accepts spaces and hyphens and a ``+86`` / ``0086`` / ``86`` country prefix (``+86 138 0013 8000``). The
    number must be valid for China and of mobile type in libphonenumber's metadata (this excludes landlines,
    400/800 service numbers and unallocated 1xx ranges); it has no extension. Every mainland mobile range in
    that metadata is 11 digits starting with 1, the form requirements §4 names. InvalidValue ``format`` or
    ``not_mobile``, rule R1.6.
    """
    number = _parse_cn(unicodedata.normalize("NFKC", text))
    if number is None:
        raise InvalidValue(
            "format",
            "This is not a valid mainland China phone number; a mobile number has 11 digits starting with 1.",
            RULE,
        )
    if number.extension:
        raise InvalidValue("format", "A mobile number has no extension.", RULE)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidValue("not_mobile", "This is a valid phone number, but not a mobile number.", RULE)
    return str(number.national_number)


def validate_landline(text: str) -> str:
    """A mainland fixed-line number with its area code, as ``0AA-NNNNNNNN`` or ``0AAA-NNNNNNN(N)`` (R1.6).

    Accepts ``010-12345678``, ``0571 87654321``, ``(010) 1234 5678``, ``+86 10 1234 5678``. The area code is
    required (a bare 7- or 8-digit local number is refused: it does not say where). An extension may follow
    as ``-123``, ``转123``, ``分机123``, ``ext 123``, ``x123`` or ``#123`` and is kept as ``-123``
    (``010-12345678-123``). Mobile and 400/800 service numbers are refused. InvalidValue ``format`` or
    ``not_landline``, rule R1.6.
    """
    normalised = _EXTENSION_WORDS.sub(" ext ", unicodedata.normalize("NFKC", text))
    number = _parse_cn(normalised)
    if number is None and (match := _TRAILING_GROUP.fullmatch(normalised.strip())) is not None:
        number = _parse_cn(f"{match['number']} ext {match['extension']}")
    if number is None:
        raise InvalidValue(
            "format",
            "This is not a valid mainland China landline number; "
            "write it with its area code, like 010-12345678.",
            RULE,
        )
    area_length = phonenumbers.length_of_geographical_area_code(number)
    if phonenumbers.number_type(number) not in _LANDLINE_TYPES or area_length == 0:
        raise InvalidValue(
            "not_landline", "This is a valid phone number, but not a landline with an area code.", RULE
        )
    national = str(number.national_number)
    formatted = f"0{national[:area_length]}-{national[area_length:]}"
    return f"{formatted}-{number.extension}" if number.extension else formatted


def validate_email(text: str) -> str:
    """The normalised e-mail address (domain lower-cased, Unicode kept, e.g. ``用户@例子.中国``) (R1.6).

    Syntax only, by email-validator with ``check_deliverability=False``: no DNS query is made.
    Internationalised domains and local parts are allowed. InvalidValue ``format``, rule R1.6, with
    email-validator's explanation unless that would repeat part of the address.
    """
    address = text.strip()
    try:
        return _check_email(address, check_deliverability=False).normalized
    except EmailNotValidError as err:
        explanation = str(err)
        # Parts shorter than 3 characters are left alone: they occur inside ordinary words.
        if any(len(part) >= 3 and part in explanation for part in address.split("@")):
            explanation = "It needs a name, an @ sign and a domain such as example.com.cn."
        raise InvalidValue("format", f"This is not a valid e-mail address. {explanation}", RULE) from None


def validate_postal_address(text: str) -> str:
    """The postal address with surrounding whitespace removed and inner runs of whitespace made one space.

    It must have 5 to 200 characters (``ADDRESS_MIN_LENGTH``/``ADDRESS_MAX_LENGTH``): a mainland address
    names at least a province or city, a district and a street, and no real one needs more than 200
    characters. Its characters are kept as typed (no NFKC: it is compared with the documents, P5); control
    and invisible formatting characters (e.g. a zero-width space, a bidirectional override) are refused by
    ``documents.validate_typed_text``. InvalidValue ``required``, ``length`` or ``hidden_character``, rule
    R1.6.
    """
    address = " ".join(text.split())
    if not address:
        raise InvalidValue("required", "The postal address is required.", RULE)
    # Only controls and invisible format characters: rare characters in place names may be private-use or
    # newer than this Python's Unicode tables.
    validate_typed_text(address, RULE)
    if not ADDRESS_MIN_LENGTH <= len(address) <= ADDRESS_MAX_LENGTH:
        raise InvalidValue(
            "length",
            f"A postal address has {ADDRESS_MIN_LENGTH} to {ADDRESS_MAX_LENGTH} characters: "
            "province or city, district, street and number.",
            RULE,
        )
    return address
