"""Identity and registration numbers from Chinese national standards (R1.2, R1.3, R1.4).

Every validator takes the text a person typed and returns the number in its one normalised form, or raises
InvalidValue with a distinct ``code``. Input is NFKC-normalised first, because Chinese input methods often
produce full-width digits and letters (``１１０１…Ｘ``), and upper-cased; whitespace is never part of a
number.

Standards applied:

- resident ID card number: GB 11643-1999 (ISO 7064 MOD 11-2 check digit, GB/T 2260 region code, birth date);
- unified social credit code (USCC): GB 32100-2015 (mod 31 check character; embedded GB 11714 code);
- organisation code: GB 11714-1997 (mod 11 check character);
- 15-digit business licence registration number: GS 15-2006 of the former SAIC, check digit by
  GB/T 17710-1999 (ISO 7064 MOD 11,10 hybrid system);
- passport, household register, military officer card, Taiwan compatriot permit: format checks (R1.3),
  documented on each function, since these documents carry no check digit.
"""

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass

from stdnum import numdb
from stdnum.iso7064 import mod_11_2, mod_11_10

from shared.kernel.errors import InvalidValue
from shared.kernel.provinces import Province, province_by_code, province_of_region_code

RESIDENT_ID_STANDARD = "GB 11643-1999"
USCC_STANDARD = "GB 32100-2015"
ORGANISATION_CODE_STANDARD = "GB 11714-1997"
LICENCE_REGISTRATION_STANDARD = "GS 15-2006"
PERSON_DOCUMENT_RULE = "R1.3"

# A birth date further back than this is a typing error, not a living responsible person.
MAX_AGE_YEARS = 150

# Central (national-level) registration authorities use this region code instead of a province's.
CENTRAL_REGION_CODE = "100000"


def compact_number(text: str) -> str:
    """``text`` NFKC-normalised, upper-cased, all whitespace removed: the form numbers are compared in."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def normalise_typed_number(text: str) -> str:
    """A document number as typed, in the one form intake stores, masks, indexes and compares (issue 17).

    NFKC-normalised (full-width ``１１０１…ｘ`` becomes ``1101…x``), surrounding whitespace removed and
    upper-cased (the ``x`` check digit becomes ``X``). Inner spaces and hyphens stay: a draft may hold a
    number that is not valid yet, and the validators above give the canonical form at submission.
    """
    return unicodedata.normalize("NFKC", text).strip().upper()


# --- resident ID card (GB 11643-1999) -------------------------------------------------------------

_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class ResidentId:
    """A checked resident ID number: 18 characters, upper-case ``X`` check digit, with the facts it
    encodes."""

    number: str
    region_code: str
    birth_date: datetime.date
    sex: str

    @property
    def province(self) -> Province:
        """The province of the region where the number was first registered."""
        return province_of_region_code(self.region_code)


def validate_resident_id(number: str, today: datetime.date) -> ResidentId:
    """Check a resident ID card number (居民身份证号码) by GB 11643-1999 as R1.3 demands; the one definition
    of a valid resident ID number (intake, precheck and the filing center's checks all apply it, P9).

    ``today`` is the reference date the birth date is judged against, given by the caller and never read
    from the wall clock: the day the filing was submitted (Beijing time), so checking the same filing again
    later gives the same verdict.

    Checks, in order, each with its own InvalidValue ``code`` (``rule`` GB 11643-1999):

    - ``format``: 17 digits then a digit or ``X`` (a lower-case ``x`` is accepted and normalised);
    - ``check_digit``: the ISO 7064 MOD 11-2 check character;
    - ``birth_date``: characters 7–14 are a real calendar date, not after ``today`` and not more than
      150 years before it;
    - ``region_code``: characters 1–6 are a GB/T 2260 county-, prefecture- or province-level code of one of
      the 31 mainland provinces that still existed in the birth year (python-stdnum's ``cn/loc`` table,
      codes since 1980). A code abolished before the person was born cannot have been assigned to them; a
      code created after the birth year is accepted, because numbers were first assigned when ID cards were
      introduced (from 1984), not at birth. Hong Kong, Macao and Taiwan codes (81, 82, 83, 71) belong to
      residence permits, not ID cards.

    The 17th character is odd for men and even for women.
    """
    return _resident_id(number, today)


def _resident_id(number: str, today: datetime.date | None) -> ResidentId:
    """``validate_resident_id``; without ``today`` the birth date is only checked to be a real date."""
    compact = compact_number(number)
    if not _RESIDENT_ID.fullmatch(compact):
        raise InvalidValue(
            "format",
            "A resident ID number has 18 characters: 17 digits followed by a digit or X.",
            RESIDENT_ID_STANDARD,
        )
    if mod_11_2.calc_check_digit(compact[:17]) != compact[17]:
        raise InvalidValue(
            "check_digit",
            "The resident ID number's last character does not match its check digit; "
            "please check for a typo.",
            RESIDENT_ID_STANDARD,
        )
    birth_date = _birth_date(compact, today)
    region_code = compact[:6]
    if not _region_existed_in(region_code, birth_date.year):
        raise InvalidValue(
            "region_code",
            "The first six digits of the resident ID number are not a region code in use when the holder was "
            "born.",
            RESIDENT_ID_STANDARD,
        )
    sex = "male" if int(compact[16]) % 2 else "female"
    return ResidentId(number=compact, region_code=region_code, birth_date=birth_date, sex=sex)


def _birth_date(compact: str, today: datetime.date | None) -> datetime.date:
    try:
        birth_date = datetime.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        raise InvalidValue(
            "birth_date", "The birth date in the resident ID number is not a real date.", RESIDENT_ID_STANDARD
        ) from None
    if today is None:
        return birth_date
    if birth_date > today:
        raise InvalidValue(
            "birth_date", "The birth date in the resident ID number is in the future.", RESIDENT_ID_STANDARD
        )
    if birth_date < _years_before(today, MAX_AGE_YEARS):
        raise InvalidValue(
            "birth_date",
            f"The birth date in the resident ID number is more than {MAX_AGE_YEARS} years ago.",
            RESIDENT_ID_STANDARD,
        )
    return birth_date


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


_YEARS = re.compile(r"\[(?P<start>[0-9]*)-(?P<end>[0-9]*)\]")

REGION_IN_USE = 10_000
"""The last year of a region code still in use: later than any birth year a number can carry."""


def _region_existed_in(region_code: str, year: int) -> bool:
    """True if ``region_code`` is a code of one of the 31 provinces not abolished before ``year``."""
    return year <= _region_last_year(region_code)


def _region_last_year(region_code: str) -> int:
    """The last year ``region_code`` was in use (``REGION_IN_USE`` if it still is), 0 if it is not a code of
    one of the 31 provinces at all.

    stdnum's table lists each code's names as ``[start-end]name`` entries (open ends unbounded), comma
    separated; the start is not read, because a code created after a birth is still one the holder can carry.
    """
    try:
        province_by_code(region_code[:2])
    except InvalidValue:
        return 0
    # [(province prefix, {...}), (remaining four digits, {"county": ...} or {} if unknown)]
    names = numdb.get("cn/loc").info(region_code)[-1][1].get("county")
    if not names:
        return 0
    last = 0
    for name in names.split(","):
        years = _YEARS.match(name)
        if years is None or not years["end"]:
            return REGION_IN_USE
        last = max(last, int(years["end"]))
    return last


@functools.cache
def resident_id_region_codes() -> dict[str, int]:
    """Every region code ``validate_resident_id`` accepts, with the last birth year it accepts it for
    (``REGION_IN_USE``: any): the same rule as the check of one number, as a table for checks of many numbers
    at once (the filing center's bulk check of the stock, P9). A code missing here is refused for every year.
    """
    listed = (
        province + county
        for _length, province, _high, _props, counties in numdb.get("cn/loc").prefixes
        for _county_length, low, high, _county_props, _children in counties
        for county in (f"{value:04d}" for value in range(int(low), int(high) + 1))
    )
    years = {code: _region_last_year(code) for code in listed}
    return {code: last for code, last in years.items() if last}


# --- organisation code (GB 11714-1997) ------------------------------------------------------------

_ORGANISATION_CODE = re.compile(r"(?P<body>[0-9A-Z]{8})-?(?P<check>[0-9X])")
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check_character(body: str) -> str:
    """The GB 11714-1997 check character for an 8-character body of digits and upper-case letters.

    Digits count as their value, letters A–Z as 10–35; C = 11 − (Σ value × weight mod 11), written ``X`` for
    10 and ``0`` for 11.
    """
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORGANISATION_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_organisation_code(code: str) -> str:
    """Check an organisation code (组织机构代码, GB 11714-1997); return its 9 characters without hyphen
    (R1.2).

    Accepts ``12345678-9`` or ``123456789`` (8 body characters, digits or upper-case letters, then the check
    character). InvalidValue ``format`` or ``check_digit``, rule GB 11714-1997.
    """
    match = _ORGANISATION_CODE.fullmatch(compact_number(code))
    if match is None:
        raise InvalidValue(
            "format",
            "An organisation code has 8 digits or letters, an optional hyphen and a check character.",
            ORGANISATION_CODE_STANDARD,
        )
    if organisation_code_check_character(match["body"]) != match["check"]:
        raise InvalidValue(
            "check_digit",
            "The organisation code's last character does not match its check character; "
            "please check for a typo.",
            ORGANISATION_CODE_STANDARD,
        )
    return match["body"] + match["check"]


# --- unified social credit code (GB 32100-2015) ---------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC = re.compile(f"[{USCC_ALPHABET}]{{18}}")
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# Registration authority code (登记管理部门代码) → its category codes (机构类别代码): GB 32100-2015 table 1
# and the codes the national standards body assigned since (2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8
# 工会, A 中央军委改革和编制办公室, N 农业). "Y" (other authorities) has the single category 1.
USCC_CATEGORIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直管群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


def uscc_check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters (alphabet values, weights 3^i mod 31)."""
    values = (USCC_ALPHABET.index(char) for char in first17)
    total = sum(value * weight for value, weight in zip(values, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def validate_uscc(code: str) -> str:
    """Check a unified social credit code (统一社会信用代码, GB 32100-2015); return its 18 characters (R1.2).

    InvalidValue codes (rule GB 32100-2015 unless noted):

    - ``format``: 18 characters from ``0-9`` and ``A-Y`` without I, O, Z, S, V;
    - ``check_digit``: the 18th character (mod 31);
    - ``registration_authority`` / ``category``: character 1 is a known registration authority and character 2
      one of its categories (``USCC_CATEGORIES``);
    - ``region_code``: characters 3–8 are six digits opening with one of the 31 provinces' codes, or
      ``100000`` for central authorities (the full six digits are not looked up: registration authorities of
      development zones use codes outside GB/T 2260);
    - ``organisation_code_check_digit`` (rule GB 11714-1997): characters 9–17, the subject identifier, are an
      organisation code whose own check character is right.
    """
    compact = compact_number(code).replace("-", "")
    if not _USCC.fullmatch(compact):
        raise InvalidValue(
            "format",
            "A unified social credit code has 18 digits or capital letters (never I, O, Z, S or V).",
            USCC_STANDARD,
        )
    if uscc_check_character(compact[:17]) != compact[17]:
        raise InvalidValue(
            "check_digit",
            "The unified social credit code's last character does not match its check character; "
            "please check for a typo.",
            USCC_STANDARD,
        )
    categories = USCC_CATEGORIES.get(compact[0])
    if categories is None:
        raise InvalidValue(
            "registration_authority",
            "The first character of the unified social credit code is not a known registration authority.",
            USCC_STANDARD,
        )
    if compact[1] not in categories:
        raise InvalidValue(
            "category",
            "The second character of the unified social credit code is not a category of its registration "
            "authority.",
            USCC_STANDARD,
        )
    if not _is_registration_region(compact[2:8]):
        raise InvalidValue(
            "region_code",
            "Characters 3 to 8 of the unified social credit code are not a mainland region code.",
            USCC_STANDARD,
        )
    if organisation_code_check_character(compact[8:16]) != compact[16]:
        raise InvalidValue(
            "organisation_code_check_digit",
            "The organisation code inside the unified social credit code (characters 9 to 17) does not match "
            "its check character.",
            ORGANISATION_CODE_STANDARD,
        )
    return compact


def _is_registration_region(region_code: str) -> bool:
    """Six digits naming a mainland province's region, or the central authorities' ``100000``."""
    if region_code == CENTRAL_REGION_CODE:
        return True
    try:
        province_of_region_code(region_code)
    except InvalidValue:
        return False
    return True


# --- 15-digit business licence registration number (GS 15-2006) -----------------------------------

_LICENCE_REGISTRATION_NUMBER = re.compile(r"[0-9]{15}")


def validate_licence_registration_number(number: str) -> str:
    """Check a pre-2015 business licence registration number (工商注册号, 15 digits); return it (R1.2).

    Digits 1–6 are the registering authority's administrative region code (one of the 31 provinces, or
    ``100000`` for the national authority), 7–14 a sequence number, 15 the GB/T 17710-1999
    (ISO 7064 MOD 11,10) check digit. InvalidValue ``format``, ``region_code`` or ``check_digit``,
    rule GS 15-2006.
    """
    compact = compact_number(number)
    if not _LICENCE_REGISTRATION_NUMBER.fullmatch(compact):
        raise InvalidValue(
            "format",
            "A business licence registration number has exactly 15 digits.",
            LICENCE_REGISTRATION_STANDARD,
        )
    if not _is_registration_region(compact[:6]):
        raise InvalidValue(
            "region_code",
            "The first six digits of the registration number are not a mainland region code.",
            LICENCE_REGISTRATION_STANDARD,
        )
    if not mod_11_10.is_valid(compact):
        raise InvalidValue(
            "check_digit",
            "The registration number's last digit does not match its check digit; please check for a typo.",
            LICENCE_REGISTRATION_STANDARD,
        )
    return compact


# --- person documents without check digits (R1.3) -------------------------------------------------

_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")


def validate_passport_number(number: str) -> str:
    """Check a passport number (护照号码) a non-citizen shows (R1.3); return it upper-case without spaces.

    Passport numbers differ by issuing country (ICAO 9303 leaves the format to the issuer: 9 characters in the
    machine-readable zone, longer ones overflow), so this accepts 5 to 20 ASCII letters and digits with at
    least one digit; every passport number seen in practice has one, while a run of letters is a name typed
    into the wrong field. InvalidValue ``format``, rule R1.3.
    """
    compact = compact_number(number)
    if not _PASSPORT.fullmatch(compact) or not any(char.isdigit() for char in compact):
        raise InvalidValue(
            "format",
            "A passport number has 5 to 20 letters and digits, including at least one digit.",
            PERSON_DOCUMENT_RULE,
        )
    return compact


def validate_household_register_number(number: str, today: datetime.date | None = None) -> str:
    """Check the citizen ID number (公民身份号码) printed on the holder's page of a household register
    (户口簿).

    The register's own household number (户号) identifies the household, not the person; the holder's page
    carries the same 18-character number as the resident ID card, also for people who have no card yet, so it
    gets the GB 11643-1999 checks of ``validate_resident_id`` (R1.3). Without ``today`` the birth date is
    checked to be a real date only, not against the calendar. Returns the normalised 18 characters.
    """
    return _resident_id(number, today).number


_OFFICER_CARD = re.compile(r"(?P<organ>[\u4e00-\u9fff])字第?(?P<serial>[0-9A-Z]{4,8})号?")


def validate_officer_card_number(number: str) -> str:
    """Check a military officer card number (军官证), e.g. ``南字第2003512号``; return it in that form (R1.3).

    The number is one Chinese character naming the issuing organ (a former military region, service or
    department such as 南, 北, 海, 空, 政), then 字第, a serial of 4 to 8 digits or letters, then 号. Input
    may omit 第 and 号 (``南字2003512``) and may contain spaces. InvalidValue ``format``, rule R1.3.
    """
    match = _OFFICER_CARD.fullmatch(compact_number(number))
    if match is None:
        raise InvalidValue(
            "format",
            "A military officer card number looks like 南字第2003512号: "
            "one character, 字第, 4 to 8 digits, 号.",
            PERSON_DOCUMENT_RULE,
        )
    return f"{match['organ']}字第{match['serial']}号"


_TAIWAN_PERMIT = re.compile(r"[0-9]{8}|[0-9]{10}|[A-Z][0-9]{9}")


def validate_taiwan_permit_number(number: str) -> str:
    """Check a Taiwan compatriot permit number (台湾居民来往大陆通行证, 台胞证); return it compact (R1.3).

    Accepted forms: 8 digits (the card issued since 2015, a number kept for life); 10 digits (the older
    booklet: the 8-digit number followed by a 2-digit issue count, parentheses around it are dropped); a
    letter and 9 digits (one-off permits issued at ports of entry). InvalidValue ``format``, rule R1.3.
    """
    compact = compact_number(number).replace("(", "").replace(")", "")
    if not _TAIWAN_PERMIT.fullmatch(compact):
        raise InvalidValue(
            "format",
            "A Taiwan compatriot permit number has 8 digits "
            "(10 on older booklets, or a letter and 9 digits for a one-off permit).",
            PERSON_DOCUMENT_RULE,
        )
    return compact
