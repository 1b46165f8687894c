"""The ID check standard of the filing center (P9, C3) in two implementations that must agree:

- :func:`check_document`, one number at a time with python-stdnum (the automatic check of each filing as it
  arrives, and the reference);
- :func:`validate_resident_ids`, the same rules over a numpy array of many numbers at once (the batch check of the
  whole stock), with :func:`open_ids`, which decrypts many sealed ID numbers with one AES call.

``services/audit/tests/unit/test_checks.py`` compares the two on generated valid and invalid numbers, so the
vectorised check cannot silently drift from python-stdnum.

Resident ID rules (GB 11643-1999, exactly as ``stdnum.cn.ric.validate``): 18 characters, the first 17 digits
(``format``), the ISO 7064 MOD 11-2 check character (``check_digit``), characters 7–14 a real date
(``birth_date``), characters 1–6 a region code that was assigned in the birth year (``region_code``).

Sealing (docs/decisions/0002-bulk-decryption-of-the-stock.md): an ID number is stored as ``nonce | ciphertext |
tag`` of AES-256-GCM under the filing center's ``FIELD_KEYS`` with the associated data ``FieldCipher`` uses for the
context :data:`ID_CONTEXT`, and its key version beside it; :func:`open_id` reads one with the tag checked.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import (
    compact_number,
    validate_household_register_number,
    validate_officer_card_number,
    validate_passport_number,
    validate_taiwan_permit_number,
)
from shared.platform.crypto import NONCE_BYTES, FieldCipher

ID_CONTEXT = "audit.stock.responsible_person.document_number"
RESIDENT_ID_LENGTH = 18
TAG_BYTES = 16
SEALED_RESIDENT_ID = NONCE_BYTES + RESIDENT_ID_LENGTH + TAG_BYTES
STANDARD = "GB 11643-1999"

# Reason codes in the order stdnum checks them; 0 is a pass. The bulk check returns these numbers.
CODES = ("ok", "format", "check_digit", "birth_date", "region_code")
MESSAGES = {
    "format": "The resident ID number is not 17 digits followed by a digit or X.",
    "check_digit": "The resident ID number's check character is wrong.",
    "birth_date": "The birth date in the resident ID number is not a real date.",
    "region_code": "The region code of the resident ID number was not assigned in the holder's birth year.",
    "sealed_value_tampered": "The stored ID number does not authenticate: it was changed at rest.",
}


# --- sealing --------------------------------------------------------------------------------------------------


def seal_id(cipher: FieldCipher, number: str) -> tuple[int, bytes]:
    """``(key version, nonce | ciphertext | tag)`` of ``number`` under the cipher's current key."""
    token = cipher.encrypt(number, context=ID_CONTEXT)
    version, _, encoded = token.partition(":")
    return int(version[1:]), base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def open_id(cipher: FieldCipher, version: int, sealed: bytes) -> str:
    """The ID number, tag checked: ``DecryptionError`` if the stored bytes or their version were changed."""
    token = f"v{version}:" + base64.urlsafe_b64encode(bytes(sealed)).rstrip(b"=").decode("ascii")
    return cipher.decrypt(token, context=ID_CONTEXT)


def open_ids(keys: Mapping[int, bytes], versions: np.ndarray, sealed: np.ndarray) -> np.ndarray:
    """Decrypt many sealed resident ID numbers at once **without checking their tags**: ``sealed`` is an
    ``(n, 46)`` uint8 array of ``nonce | ciphertext | tag``, ``versions`` their key versions; returns the ``(n, 18)``
    plaintext bytes.

    GCM encrypts plaintext block ``i`` by XOR with ``AES(K, nonce || be32(i + 2))`` (96-bit nonce, NIST SP 800-38D);
    so all keystream blocks of all rows of one key version are made by one AES-ECB call over a numpy array of
    counter blocks, and XORed on. The tag is not checked here: the caller checks it with :func:`open_id` for every
    row it flags, so a tampered value that would change a finding is caught (docs/decisions/0002). Rows with an
    unknown key version come back as zeros (which fail ``format``).
    """
    rows = sealed.shape[0]
    plain = np.zeros((rows, RESIDENT_ID_LENGTH), dtype=np.uint8)
    blocks = -(-RESIDENT_ID_LENGTH // 16)
    for version in np.unique(versions):
        key = keys.get(int(version))
        if key is None:
            continue
        selected = np.flatnonzero(versions == version)
        counters = np.zeros((selected.size, blocks, 16), dtype=np.uint8)
        counters[:, :, :NONCE_BYTES] = sealed[selected, None, :NONCE_BYTES]
        counters[:, :, 15] = np.arange(2, 2 + blocks, dtype=np.uint8)  # be32(i + 2): only the last byte is set
        encryptor = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()
        stream = np.frombuffer(encryptor.update(counters.tobytes()) + encryptor.finalize(), dtype=np.uint8)
        stream = stream.reshape(selected.size, blocks * 16)[:, :RESIDENT_ID_LENGTH]
        ciphertext = sealed[selected, NONCE_BYTES:NONCE_BYTES + RESIDENT_ID_LENGTH]
        plain[selected] = ciphertext ^ stream
    return plain


# --- one at a time (python-stdnum) ----------------------------------------------------------------------------


def resident_id_code(number: str) -> str:
    """The first rule a resident ID number breaks (``CODES``), or ``"ok"``; python-stdnum decides."""
    compact = compact_number(number)
    try:
        ric.validate(compact)
    except ValidationError:
        if len(compact) != RESIDENT_ID_LENGTH or not compact[:-1].isdigit() or not compact[:-1].isascii():
            return "format"
        if compact[-1] != ric.calc_check_digit(compact):
            return "check_digit"
        try:
            ric.get_birth_date(compact)
        except ValidationError:
            return "birth_date"
        return "region_code"
    except KeyError:
        # stdnum 2.2 raises KeyError for an unknown county inside a known province
        return "region_code"
    return "ok"


_OTHER_DOCUMENTS = {
    "passport": validate_passport_number,
    "household_register": validate_household_register_number,
    "officer_card": validate_officer_card_number,
    "taiwan_permit": validate_taiwan_permit_number,
}


def check_document(document_type: str, number: str) -> list[dict]:
    """P9 document validity of a person's document: ``[]`` or reasons ``{field, code, message, rule}`` naming
    the rule broken, never the number."""
    field = "responsible_person.document_number"
    if document_type == "resident_id":
        code = resident_id_code(number)
        return [] if code == "ok" else [{"field": field, "code": code, "message": MESSAGES[code], "rule": STANDARD}]
    validate = _OTHER_DOCUMENTS.get(document_type)
    if validate is None:
        return [{"field": "responsible_person.document_type", "code": "unknown_document",
                 "message": f"{document_type} is not a document R1.3 lists.", "rule": "R1.3"}]
    try:
        validate(number)
    except InvalidValue as exc:
        return [{"field": field, "code": exc.code, "message": exc.message, "rule": exc.rule}]
    return []


# --- many at once (numpy) -------------------------------------------------------------------------------------

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int32)
_CHECK_CHARACTERS = np.frombuffer(b"0123456789X", dtype=np.uint8)


REGION_CODES = 1_000_000


@dataclass(frozen=True)
class RegionTable:
    """stdnum's ``cn/loc`` as dense lookups over all six-digit codes: ``always[code]`` (a county entry without a
    year range), ``ranged[code]`` (row in ``starts``/``ends``, -1 if none) and the year ranges, padded (start 1 >
    end 0 never matches)."""

    always: np.ndarray
    ranged: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def region_table() -> RegionTable:
    global _REGIONS
    if _REGIONS is not None:
        return _REGIONS
    always = np.zeros(REGION_CODES, dtype=bool)
    spans: dict[int, list[tuple[int, int]]] = {}
    for _length, low, _high, _props, children in numdb.get("cn/loc").prefixes:
        for _clength, clow, chigh, props, _ in children:
            for county_code in range(int(clow), int(chigh) + 1):
                code = int(low) * 10_000 + county_code
                counties = props.get("county", "").split(",") if props.get("county") else []
                if any(not county.startswith("[") for county in counties):
                    always[code] = True
                    continue
                for county in counties:
                    start, end = county[1:].split("]")[0].split("-")
                    spans.setdefault(code, []).append((int(start) if start else 0, int(end) if end else 99_999))
    width = max((len(found) for found in spans.values()), default=1)
    ranged = np.full(REGION_CODES, -1, dtype=np.int32)
    starts = np.ones((len(spans) + 1, width), dtype=np.int32)
    ends = np.zeros((len(spans) + 1, width), dtype=np.int32)
    for row, (code, found) in enumerate(sorted(spans.items())):
        ranged[code] = row
        for column, (start, end) in enumerate(found):
            starts[row, column], ends[row, column] = start, end
    _REGIONS = RegionTable(always, ranged, starts, ends)
    return _REGIONS


_REGIONS: RegionTable | None = None
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[0], dtype=np.int32)
    for column in range(digits.shape[1]):
        value = value * 10 + digits[:, column]
    return value


def validate_resident_ids(numbers: np.ndarray) -> np.ndarray:
    """The first rule each number breaks, as an index into ``CODES`` (0: valid), for an ``(n, 18)`` uint8 array of
    ASCII compact numbers; the same answers as :func:`resident_id_code` (python-stdnum)."""
    regions = region_table()
    digits = numbers.astype(np.int32) - ord("0")
    result = np.zeros(numbers.shape[0], dtype=np.uint8)

    bad_format = ((digits[:, :17] < 0) | (digits[:, :17] > 9)).any(axis=1)
    check = (1 - digits[:, :17] @ _WEIGHTS) % 11
    bad_check = ~bad_format & (_CHECK_CHARACTERS[np.where(bad_format, 0, check)] != numbers[:, 17])

    year, month, day = _number(digits[:, 6:10]), _number(digits[:, 10:12]), _number(digits[:, 12:14])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    safe_month = np.clip(month, 0, 12)
    last_day = _MONTH_DAYS[safe_month] + ((safe_month == 2) & leap)
    bad_date = (year < 1) | (month < 1) | (month > 12) | (day < 1) | (day > last_day)

    region = np.clip(_number(digits[:, :6]), 0, REGION_CODES - 1)  # out of range only with bad_format set
    known = regions.always[region]
    row = regions.ranged[region]
    with_range = np.flatnonzero(row >= 0)
    if with_range.size:
        years = year[with_range, None]
        spans = row[with_range]
        known[with_range] = ((years >= regions.starts[spans]) & (years <= regions.ends[spans])).any(axis=1)
    bad_region = ~known

    result[bad_region] = 4
    result[bad_date] = 3
    result[bad_check] = 2
    result[bad_format] = 1
    return result
