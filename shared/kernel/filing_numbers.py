"""Filing numbers (备案号) the bureau issues when it approves a filing (P8, requirements §4).

A sponsor's number is ``{abbr}ICP备{yyyy}{nnnnnn}号`` (e.g. ``京ICP备2026012345号``): the abbreviation of the
sponsor's province, the 4-digit year of issue and a 6-digit serial. Each of its websites appends ``-{k}``
(``京ICP备2026012345号-1``). :func:`parse_filing_number` reads this form only (what the bureau issues now);
:func:`parse_register_number` reads every form a register holds (older ``京ICP备05012345号``, licences ``京ICP证…``
and ``粤B2-…``), wherever a number is read (public query, X9).
"""

import re
import unicodedata
from dataclasses import dataclass, replace

from shared.kernel.errors import InvalidValue
from shared.kernel.provinces import Province, province_by_abbr

RULE = "requirements §4"

_FILING_NUMBER = re.compile(
    r"(?P<abbr>.)ICP备(?P<year>[0-9]{4})(?P<serial>[0-9]{6})号(?:-(?P<site>[1-9][0-9]*))?"
)


@dataclass(frozen=True)
class FilingNumber:
    """A sponsor's filing number, or one of its websites' when ``site`` is set.

    Construction checks the parts (InvalidValue, rule requirements §4): ``abbr`` one of the 31 provinces'
    (``unknown_province``), ``year`` four digits, ``serial`` 1..999999, ``site`` at least 1 (``format``).
    """

    abbr: str
    year: int
    serial: int
    site: int | None = None

    def __post_init__(self) -> None:
        province_by_abbr(self.abbr)
        if not 1000 <= self.year <= 9999:
            raise InvalidValue("format", "The year in a filing number has four digits.", RULE)
        if not 1 <= self.serial <= 999_999:
            raise InvalidValue("format", "The serial in a filing number is between 000001 and 999999.", RULE)
        if self.site is not None and self.site < 1:
            raise InvalidValue("format", "A website's number in a filing number starts at 1.", RULE)

    def __str__(self) -> str:
        text = f"{self.abbr}ICP备{self.year:04d}{self.serial:06d}号"
        return text if self.site is None else f"{text}-{self.site}"

    @property
    def province(self) -> Province:
        """The province whose bureau issued the number."""
        return province_by_abbr(self.abbr)

    @property
    def sponsor_number(self) -> "FilingNumber":
        """The sponsor's own number, without a website suffix."""
        return replace(self, site=None)

    def for_site(self, k: int) -> "FilingNumber":
        """The number of the sponsor's ``k``-th website (``-k``); InvalidValue ``format`` if ``k`` < 1."""
        return replace(self, site=k)


def parse_filing_number(text: str) -> FilingNumber:
    """Read a filing number such as ``京ICP备2026012345号`` or ``京ICP备2026012345号-1``.

    Surrounding whitespace is ignored and full-width digits, letters and hyphens (common in Chinese text) are
    read as ASCII. InvalidValue ``format`` if the text is not in the format, ``unknown_province`` if the
    first character is not one of the 31 abbreviations; rule requirements §4. ``str()`` gives the text back.
    """
    match = _FILING_NUMBER.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        raise InvalidValue(
            "format",
            "A filing number looks like 京ICP备2026012345号, with -1, -2 … for each website.",
            RULE,
        )
    site = match["site"]
    return FilingNumber(
        abbr=match["abbr"],
        year=int(match["year"]),
        serial=int(match["serial"]),
        site=None if site is None else int(site),
    )


_REGISTER_NUMBER = re.compile(
    r"(?P<sponsor>(?P<abbr>.)(?:ICP备[0-9]{8}号|ICP备[0-9]{10}号|ICP证[0-9]{6}号|B2-[0-9]{8}))(?:-(?P<site>[1-9][0-9]*))?"
)


@dataclass(frozen=True)
class RegisterNumber:
    """Any number a register holds for a sponsor (requirements §4, X9): the current ``京ICP备2026012345号``, the
    older ``京ICP备05012345号``, an operating licence ``京ICP证150476号`` or ``粤B2-20090059``, each with an
    optional website suffix ``-k``. Numbers already issued keep their meaning: a new website of a sponsor with an
    older number is ``-k`` of that number."""

    sponsor: str
    site: int | None = None

    def __str__(self) -> str:
        return self.sponsor if self.site is None else f"{self.sponsor}-{self.site}"

    @property
    def sponsor_number(self) -> "RegisterNumber":
        return replace(self, site=None)

    def for_site(self, k: int) -> "RegisterNumber":
        if k < 1:
            raise InvalidValue("format", "A website's number in a filing number starts at 1.", RULE)
        return replace(self, site=k)


def parse_register_number(text: str) -> RegisterNumber:
    """Read any format of :class:`RegisterNumber` as people write it: whitespace around, full-width characters
    and a lower-case ``icp``/``b`` read as the canonical form. InvalidValue ``format`` if it is none of them,
    ``unknown_province`` if the first character is not one of the 31 abbreviations; rule requirements §4."""
    canonical = unicodedata.normalize("NFKC", text).strip().upper()
    match = _REGISTER_NUMBER.fullmatch(canonical)
    if match is None:
        raise InvalidValue(
            "format",
            "A number looks like 京ICP备2026012345号, 京ICP备05012345号, 京ICP证150476号 or 粤B2-20090059, "
            "with -1, -2 … for each website.",
            RULE,
        )
    province_by_abbr(match["abbr"])
    return RegisterNumber(match["sponsor"], None if match["site"] is None else int(match["site"]))
