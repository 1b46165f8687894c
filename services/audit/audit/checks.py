"""The filing center's ID check (P9, P10, C3), by the one definition of a valid document number: the kernel's
(``shared.kernel.identifiers``, which intake applies when a filing is submitted), in two forms that must agree:

- :func:`check_document`, one number at a time through the kernel (the automatic check of each filing as it
  arrives);
- :func:`validate_resident_ids`, the kernel's resident ID rules over a numpy array of many numbers at once (the
  batch check of the whole stock), with :func:`open_ids`, which decrypts many sealed ID numbers with one AES call.

Resident ID rules (GB 11643-1999, ``shared.kernel.identifiers.validate_resident_id``), in order: 18 characters, the
first 17 digits (``format``), the ISO 7064 MOD 11-2 check character (``check_digit``), characters 7–14 a real date
neither after the reference date nor more than 150 years before it (``birth_date``), characters 1–6 a region code of
the 31 provinces not abolished before the birth year (``region_code``; a code created after the birth is accepted).
The reference date is the day the filing was approved (Beijing time), which the stock keeps: a re-check in a later
quarter gives the same verdict, and it is never before the submission intake judged the number against.
``services/audit/tests/unit/test_checks.py`` proves the two forms equal on generated numbers that break every rule.

Sealing (docs/decisions/0003-bulk-decryption-of-the-stock.md): an ID number is stored as ``nonce | ciphertext |
tag`` of AES-256-GCM under the filing center's ``FIELD_KEYS`` with the associated data ``FieldCipher`` uses for the
context :data:`ID_CONTEXT`, and its key version beside it; :func:`open_id` reads one with the tag checked.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Mapping
from functools import cache

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shared.kernel.documents import validate_person_document
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import MAX_AGE_YEARS, resident_id_region_codes, validate_resident_id
from shared.platform.crypto import NONCE_BYTES, FieldCipher

ID_CONTEXT = "audit.stock.responsible_person.document_number"
RESIDENT_ID_LENGTH = 18
TAG_BYTES = 16
SEALED_RESIDENT_ID = NONCE_BYTES + RESIDENT_ID_LENGTH + TAG_BYTES

# The kernel's resident ID codes in the order it checks them; 0 is a pass. The bulk check returns these numbers.
CODES = ("ok", "format", "check_digit", "birth_date", "region_code")


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
    row it flags, so a tampered value that would change a finding is caught (docs/decisions/0003). Rows with an
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


# --- one at a time (the kernel) ------------------------------------------------------------------------------


def resident_id_code(number: str, reference: datetime.date) -> str:
    """The first rule a resident ID number breaks (``CODES``) on the ``reference`` date, or ``"ok"``."""
    try:
        validate_resident_id(number, reference)
    except InvalidValue as exc:
        return exc.code
    return "ok"


_NOT_A_PERSON_DOCUMENT = ("unknown_document_type", "document_not_allowed")


def check_document(document_type: str, number: str, reference: datetime.date) -> list[dict]:
    """P9 document validity of a responsible person's document on the ``reference`` date (the filing's approval
    day, Beijing time), by the kernel's ``validate_person_document`` as intake applies it: ``[]`` or reasons
    ``{field, code, message, rule}`` naming the rule broken, never the number."""
    try:
        validate_person_document(document_type, number, reference)
    except InvalidValue as exc:
        field = "document_type" if exc.code in _NOT_A_PERSON_DOCUMENT else "document_number"
        return [exc.field_error(f"responsible_person.{field}")]
    return []


# --- many at once (numpy) -------------------------------------------------------------------------------------

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int32)
_CHECK_CHARACTERS = np.frombuffer(b"0123456789X", dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
REGION_CODES = 1_000_000


@cache
def region_last_years() -> np.ndarray:
    """The kernel's region codes as a dense lookup over all six-digit codes: the last birth year each is accepted
    for (``shared.kernel.identifiers.REGION_IN_USE`` if any), 0 for a code it refuses."""
    last_years = np.zeros(REGION_CODES, dtype=np.int16)
    for code, last in resident_id_region_codes().items():
        last_years[int(code)] = last
    return last_years


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[0], dtype=np.int32)
    for column in range(digits.shape[1]):
        value = value * 10 + digits[:, column]
    return value


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def validate_resident_ids(numbers: np.ndarray, references: np.ndarray) -> np.ndarray:
    """The first rule each number breaks, as an index into ``CODES`` (0: valid): exactly the kernel's verdict
    (:func:`resident_id_code`) for an ``(n, 18)`` uint8 array of the numbers' UTF-8 bytes, each judged on its
    reference date (``references``: ``datetime64[D]``, one per row or one for all).

    The kernel normalises (NFKC, upper case, no whitespace) before it checks; on 18 bytes that changes only a
    lower-case ``x`` check character, because every other character that normalises to digits or ``X`` yields
    fewer of them than it has bytes (any other row is too short: ``format``), as the tests check over all of
    Unicode."""
    last_years = region_last_years()
    digits = numbers.astype(np.int32) - ord("0")
    check_character = np.where(numbers[:, 17] == ord("x"), ord("X"), numbers[:, 17])
    result = np.zeros(numbers.shape[0], dtype=np.uint8)

    bad_format = ((digits[:, :17] < 0) | (digits[:, :17] > 9)).any(axis=1) | ~np.isin(
        check_character, _CHECK_CHARACTERS)
    check = (1 - np.where(bad_format[:, None], 0, digits[:, :17]) @ _WEIGHTS) % 11
    bad_check = ~bad_format & (_CHECK_CHARACTERS[check] != check_character)

    year, month, day = _number(digits[:, 6:10]), _number(digits[:, 10:12]), _number(digits[:, 12:14])
    safe_month = np.clip(month, 0, 12)
    last_day = _MONTH_DAYS[safe_month] + ((safe_month == 2) & _is_leap(year))
    unreal = (year < 1) | (month < 1) | (month > 12) | (day < 1) | (day > last_day)
    birth = year * 10_000 + month * 100 + day  # compared as yyyymmdd
    reference = np.broadcast_to(np.asarray(references, dtype="datetime64[D]"), numbers.shape[:1])
    ref_year = reference.astype("datetime64[Y]").astype(np.int32) + 1970
    ref_month = reference.astype("datetime64[M]").astype(np.int32) % 12 + 1
    ref_day = (reference - reference.astype("datetime64[M]")).astype(np.int32) + 1
    # 150 years before a 29 February is the 28th when that year has none (the kernel's _years_before)
    oldest_day = np.where((ref_month == 2) & (ref_day == 29) & ~_is_leap(ref_year - MAX_AGE_YEARS), 28, ref_day)
    oldest = (ref_year - MAX_AGE_YEARS) * 10_000 + ref_month * 100 + oldest_day
    bad_date = unreal | (birth > ref_year * 10_000 + ref_month * 100 + ref_day) | (birth < oldest)

    region = np.clip(_number(digits[:, :6]), 0, REGION_CODES - 1)  # out of range only with bad_format set
    bad_region = year > last_years[region]

    result[bad_region] = 4
    result[bad_date] = 3
    result[bad_check] = 2
    result[bad_format] = 1
    return result
