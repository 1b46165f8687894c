"""The filing center's ID check is the kernel's (P9, P10, C1): per filing it calls the kernel, and the bulk check
gives the kernel's verdict for every generated number; bulk decryption matches AES-GCM (docs/decisions/0003)."""
import datetime
import unicodedata

import numpy as np
import pytest

from audit.checks import CODES, check_document, open_id, open_ids, resident_id_code, seal_id, validate_resident_ids
from shared.kernel.identifiers import REGION_IN_USE, resident_id_region_codes, validate_resident_id
from shared.platform.crypto import DecryptionError, FieldCipher
from shared.testing.resident_ids import CREATED_LATE, generated_resident_ids
from shared.testing.samples import resident_id

pytestmark = pytest.mark.unit

KEYS = {1: bytes(range(32)), 2: bytes(range(32, 64))}
APPROVED = datetime.date(2026, 11, 2)


def _rows(*numbers: str) -> np.ndarray:
    return np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18)


def _numbers(count: int, seed: int) -> list[str]:
    numbers, _ = generated_resident_ids(count, seed)
    return [row.tobytes().decode("utf-8") for row in numbers if row.max() < 0x80]


@pytest.mark.req("P9")
def test_an_id_whose_region_code_was_created_after_the_birth_is_valid_per_filing_and_in_bulk():
    number = resident_id("11011819700101002")  # 密云区, a code of 2015, on someone born in 1970
    assert validate_resident_id(number, APPROVED).region_code == "110118"  # intake accepts it
    assert check_document("resident_id", number, APPROVED) == []
    assert check_document("household_register", number, APPROVED) == []
    assert CODES[validate_resident_ids(_rows(number), np.datetime64(APPROVED))[0]] == "ok"
    retired = resident_id("11010320120101002")  # 崇文区, abolished 2010: no one born after it carries it
    assert check_document("resident_id", retired, APPROVED)[0]["code"] == "region_code"
    assert CODES[validate_resident_ids(_rows(retired), np.datetime64(APPROVED))[0]] == "region_code"


@pytest.mark.req("P9")
@pytest.mark.clock
def test_a_birth_after_the_reference_date_is_refused_and_the_verdict_keeps_when_checked_later():
    born_next_day = resident_id("11010520261103002")
    reasons = check_document("resident_id", born_next_day, APPROVED)
    assert [(r["field"], r["code"], r["rule"]) for r in reasons] == [
        ("responsible_person.document_number", "birth_date", "GB 11643-1999")]
    assert check_document("household_register", born_next_day, APPROVED)[0]["code"] == "birth_date"
    references = np.array([APPROVED, APPROVED + datetime.timedelta(days=1)], dtype="datetime64[D]")
    assert [CODES[c] for c in validate_resident_ids(_rows(born_next_day, born_next_day), references)] == [
        "birth_date", "ok"]
    # a re-check next quarter is given the same approval day, not the day it runs
    assert check_document("resident_id", born_next_day, APPROVED) == reasons
    assert check_document("resident_id", born_next_day, datetime.date(2026, 11, 3)) == []


@pytest.mark.req("P9")
@pytest.mark.req("P10")
def test_the_bulk_check_gives_the_kernels_verdict_for_every_generated_number():
    numbers, references = generated_resident_ids(20_000, seed=11)
    bulk = [CODES[code] for code in validate_resident_ids(numbers, references)]
    kernel = [resident_id_code(row.tobytes().decode("utf-8"), reference.item())
              for row, reference in zip(numbers, references, strict=True)]
    assert bulk == kernel
    # every rule and every edge the generator aims at was met, passing and failing
    births = [(row[6:14].tobytes().decode("ascii", "replace"), row[:6].tobytes().decode("ascii", "replace"))
              for row in numbers]
    seen = {(verdict, edge) for verdict, (birth, region), reference in zip(kernel, births, references, strict=True)
            for edge in _edges(birth, region, reference.item())}
    assert set(kernel) == set(CODES)
    assert {("ok", "created_late_after_birth"), ("ok", "born_on_reference_day"), ("birth_date", "born_after"),
            ("ok", "29_february"), ("birth_date", "29_february"), ("birth_date", "more_than_150_years"),
            ("ok", "exactly_150_years"), ("region_code", "retired_before_birth")} <= seen


def _edges(birth: str, region: str, reference: datetime.date) -> list[str]:
    """The edges of the rules a generated number's birth date and region code sit on."""
    edges = []
    if birth[4:] == "0229":
        edges.append("29_february")
    if not (birth + region).isdigit() or birth[4:] == "0229":
        return edges
    if int(region) in CREATED_LATE and birth < "2010":
        edges.append("created_late_after_birth")
    if int(birth[:4]) > resident_id_region_codes().get(region, REGION_IN_USE):
        edges.append("retired_before_birth")
    stamp = reference.strftime("%Y%m%d")
    if birth == stamp:
        edges.append("born_on_reference_day")
    if birth > stamp:
        edges.append("born_after")
    oldest = f"{reference.year - 150:04d}{stamp[4:]}"
    if birth == oldest:
        edges.append("exactly_150_years")
    if birth < oldest:
        edges.append("more_than_150_years")
    return edges


def test_every_other_character_normalises_to_fewer_id_characters_than_its_bytes():
    """Why the bulk check may read 18 bytes as they are: a row with any byte but ``0-9``, ``X`` or ``x`` is refused
    by the kernel as ``format``, since no character outside ASCII normalises (NFKC, upper case, whitespace
    dropped) to as many digits or ``X`` as its UTF-8 bytes."""
    for point in range(0x80, 0x110000):
        if 0xD800 <= point < 0xE000:
            continue
        character = chr(point)
        normal = "".join(unicodedata.normalize("NFKC", character).upper().split())
        assert len(normal) < len(character.encode()) or normal.strip("0123456789X"), hex(point)


@pytest.mark.req("P9")
def test_bulk_decryption_matches_gcm_for_every_key_version():
    cipher_1, cipher_2 = FieldCipher(KEYS, 1), FieldCipher(KEYS, 2)
    numbers = _numbers(300, seed=3)
    sealed = [seal_id(cipher_1 if i % 2 else cipher_2, n) for i, n in enumerate(numbers)]
    versions = np.array([v for v, _ in sealed], dtype=np.int16)
    blobs = np.frombuffer(b"".join(b for _, b in sealed), dtype=np.uint8).reshape(-1, 46)
    opened = open_ids(KEYS, versions, blobs)
    assert [row.tobytes().decode("ascii") for row in opened] == numbers
    assert open_ids({1: KEYS[1]}, versions, blobs)[versions == 2].sum() == 0  # unknown key version: no plaintext


@pytest.mark.req("P9")
def test_a_tampered_sealed_number_fails_its_tag_where_it_is_flagged():
    cipher = FieldCipher(KEYS, 1)
    version, blob = seal_id(cipher, "11010519491231002X")
    forged = bytearray(blob)
    forged[12 + 3] ^= 0x01  # one digit changed in place (CTR is malleable): "1" -> "0"
    opened = open_ids(KEYS, np.array([version]), np.frombuffer(bytes(forged), dtype=np.uint8).reshape(1, 46))
    assert opened[0].tobytes() == b"11000519491231002X"
    assert CODES[validate_resident_ids(opened, np.datetime64(APPROVED))[0]] == "check_digit"
    with pytest.raises(DecryptionError):
        open_id(cipher, version, bytes(forged))
    assert open_id(cipher, version, blob) == "11010519491231002X"


def test_other_documents_are_checked_for_their_format():
    assert check_document("passport", "E12345678", APPROVED) == []
    assert check_document("passport", "!", APPROVED)[0]["field"] == "responsible_person.document_number"
    assert check_document("resident_id", "11010519491231002X", APPROVED) == []
    assert check_document("resident_id", "110105194912310021", APPROVED)[0]["code"] == "check_digit"
    assert check_document("business_licence", "91110000600037341L", APPROVED)[0]["field"] == (
        "responsible_person.document_type")


def test_a_copy_stream_of_another_shape_is_refused():
    from audit.bulk import ROW, parse_copy

    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    row = np.zeros(1, dtype=ROW)
    row["fields"], row["pk_len"], row["ver_len"], row["id_len"], row["day_len"] = 4, 8, 2, 46, 4
    row["pk"], row["ver"], row["day"] = 7, 1, 9801
    assert parse_copy(header + row.tobytes() + b"\xff\xff")["pk"].tolist() == [7]
    row["id_len"] = 45
    with pytest.raises(ValueError):
        parse_copy(header + row.tobytes() + b"\xff\xff")
    with pytest.raises(ValueError):
        parse_copy(b"not a copy stream")
