"""The 31 province-level divisions of mainland China (requirements §4, R2.1).

A sponsor's province decides which bureau reviews the filing (R2.1) and which abbreviation opens its filing
number (requirements §4). ``code`` is the two-digit prefix of the GB/T 2260 administrative division code, the
same prefix that opens resident ID numbers, organisation registration region codes and licence numbers.
Hong Kong, Macao and Taiwan (81, 82, 71) are not here: they have no communications bureau in this scheme.
"""

import re
from dataclasses import dataclass

from shared.kernel.errors import InvalidValue

RULE = "requirements §4"


@dataclass(frozen=True)
class Province:
    """One province-level division: GB/T 2260 two-digit ``code``, full ``name``, one-character ``abbr``."""

    code: str
    name: str
    abbr: str


PROVINCES: tuple[Province, ...] = (
    Province("11", "北京市", "京"),
    Province("12", "天津市", "津"),
    Province("13", "河北省", "冀"),
    Province("14", "山西省", "晋"),
    Province("15", "内蒙古自治区", "蒙"),
    Province("21", "辽宁省", "辽"),
    Province("22", "吉林省", "吉"),
    Province("23", "黑龙江省", "黑"),
    Province("31", "上海市", "沪"),
    Province("32", "江苏省", "苏"),
    Province("33", "浙江省", "浙"),
    Province("34", "安徽省", "皖"),
    Province("35", "福建省", "闽"),
    Province("36", "江西省", "赣"),
    Province("37", "山东省", "鲁"),
    Province("41", "河南省", "豫"),
    Province("42", "湖北省", "鄂"),
    Province("43", "湖南省", "湘"),
    Province("44", "广东省", "粤"),
    Province("45", "广西壮族自治区", "桂"),
    Province("46", "海南省", "琼"),
    Province("50", "重庆市", "渝"),
    Province("51", "四川省", "川"),
    Province("52", "贵州省", "贵"),
    Province("53", "云南省", "云"),
    Province("54", "西藏自治区", "藏"),
    Province("61", "陕西省", "陕"),
    Province("62", "甘肃省", "甘"),
    Province("63", "青海省", "青"),
    Province("64", "宁夏回族自治区", "宁"),
    Province("65", "新疆维吾尔自治区", "新"),
)

_BY_CODE = {p.code: p for p in PROVINCES}
_BY_ABBR = {p.abbr: p for p in PROVINCES}
_REGION_CODE = re.compile(r"[0-9]{6}")


def province_by_code(code: str) -> Province:
    """The province whose GB/T 2260 prefix is ``code`` (e.g. ``"11"``); InvalidValue ``unknown_province``."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise InvalidValue(
            "unknown_province", "This is not the code of one of the 31 mainland provinces.", RULE
        ) from None


def province_by_abbr(abbr: str) -> Province:
    """The province whose abbreviation is ``abbr`` (e.g. ``"京"``); InvalidValue ``unknown_province``."""
    try:
        return _BY_ABBR[abbr]
    except KeyError:
        raise InvalidValue(
            "unknown_province", "This is not the abbreviation of one of the 31 mainland provinces.", RULE
        ) from None


def province_of_region_code(region_code: str) -> Province:
    """The province of a 6-digit GB/T 2260 region code (e.g. ``"110105"`` → 北京市).

    InvalidValue ``format`` unless exactly six ASCII digits; ``unknown_province`` when the first two digits
    are not one of the 31 (e.g. ``"100000"``, the code central authorities use, or ``"810000"`` Hong Kong).
    """
    if not _REGION_CODE.fullmatch(region_code):
        raise InvalidValue("format", "An administrative region code is exactly six digits.", "GB/T 2260")
    return province_by_code(region_code[:2])
