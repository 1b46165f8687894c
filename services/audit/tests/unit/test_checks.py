"""The bulk ID check agrees with python-stdnum, and bulk decryption with AES-GCM (P9, docs/decisions/0002)."""
import random

import numpy as np
import pytest
from stdnum.cn import ric

from audit.checks import CODES, check_document, open_id, open_ids, resident_id_code, seal_id, validate_resident_ids
from shared.platform.crypto import DecryptionError, FieldCipher

pytestmark = pytest.mark.unit

KEYS = {1: bytes(range(32)), 2: bytes(range(32, 64))}


def _numbers(count: int, seed: int) -> list[str]:
    """Valid numbers, and numbers broken in each way stdnum knows (format, check digit, date, region)."""
    rng = random.Random(seed)
    regions = ["110101", "110103", "110111", "110118", "440106", "310104", "119999", "990000", "110000", "820000"]
    out = []
    for _ in range(count):
        body = (rng.choice(regions) + f"{rng.randint(1890, 2030):04d}{rng.randint(0, 13):02d}"
                f"{rng.randint(0, 32):02d}{rng.randint(0, 999):03d}") if rng.random() < 0.7 else \
            "".join(rng.choice("0123456789") for _ in range(17))
        number = body + (ric.calc_check_digit(body + "0") if rng.random() < 0.8 else rng.choice("0123456789X"))
        if rng.random() < 0.03:
            number = number[:9] + rng.choice("AX ") + number[10:]
        out.append(number)
    return out


@pytest.mark.req("P9")
def test_the_vectorised_check_gives_stdnums_answer_for_every_number():
    numbers = _numbers(20_000, seed=11)
    bulk = validate_resident_ids(np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18))
    reference = [resident_id_code(n) for n in numbers]
    assert [CODES[c] for c in bulk] == reference
    assert set(reference) == set(CODES)  # every rule is exercised
    assert all((code == "ok") == ric.is_valid(n) for n, code in zip(numbers, reference, strict=True)
               if code != "region_code")


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
    assert CODES[validate_resident_ids(opened)[0]] == "check_digit"
    with pytest.raises(DecryptionError):
        open_id(cipher, version, bytes(forged))
    assert open_id(cipher, version, blob) == "11010519491231002X"


def test_other_documents_are_checked_for_their_format():
    assert check_document("passport", "E12345678") == []
    assert check_document("passport", "!")[0]["field"] == "responsible_person.document_number"
    assert check_document("resident_id", "11010519491231002X") == []
    assert check_document("resident_id", "110105194912310021")[0]["code"] == "check_digit"


def test_a_copy_stream_of_another_shape_is_refused():
    from audit.bulk import ROW, parse_copy

    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    row = np.zeros(1, dtype=ROW)
    row["fields"], row["pk_len"], row["ver_len"], row["id_len"], row["pk"], row["ver"] = 3, 8, 2, 46, 7, 1
    assert parse_copy(header + row.tobytes() + b"\xff\xff")["pk"].tolist() == [7]
    row["id_len"] = 45
    with pytest.raises(ValueError):
        parse_copy(header + row.tobytes() + b"\xff\xff")
    with pytest.raises(ValueError):
        parse_copy(b"not a copy stream")
