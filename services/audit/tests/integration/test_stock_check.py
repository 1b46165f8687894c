"""The batch check of the whole stock on PostgreSQL (P9, P10, C3): migrations match the models; bulk reading,
decryption and validation flag exactly the invalid and the tampered rows, and each flag records its rules version."""
from datetime import UTC, datetime

import psycopg2
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from audit.bulk import blocking_copy, check_stock
from audit.checks import seal_id
from audit.domain import shipped_rules
from audit.models import Base
from shared.platform.crypto import FieldCipher
from shared.platform.migrations import differences
from shared.testing.samples import RESIDENT_ID, SECOND_RESIDENT_ID, resident_id

pytestmark = pytest.mark.integration

KEYS = {1: bytes(range(32)), 2: bytes(range(1, 33))}


def test_migrations_match_models(database_factory):
    assert differences(database_factory("audit"), Base.metadata) == []


def _insert(engine, rows, approved_at=(datetime(2026, 11, 2, tzinfo=UTC),)):
    """Stock rows ``(document_type, key version, sealed number)``, approved at ``approved_at[i]`` (or the last)."""
    with engine.begin() as connection:
        for i, (document_type, version, sealed) in enumerate(rows):
            connection.execute(text(
                "INSERT INTO stock (filing_id, version, filing_number, provider_id, province, sponsor_kind, "
                "approved_at, document_type, id_key_version, id_sealed, id_hmac, name_token, mobile_token, sites) "
                "VALUES (:f, 1, :n, 'p-1', '京', 'unit', :at, :dt, :v, :s, 'h', 't', 't', '[]')"),
                {"f": f"filing-{i}", "n": f"京ICP备2026{i:06d}号", "at": approved_at[min(i, len(approved_at) - 1)],
                 "dt": document_type, "v": version, "s": sealed})


def _check(url, cipher):
    parsed = make_url(url)
    with blocking_copy():
        connection = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                      dbname=parsed.database)
        try:
            return check_stock(connection, KEYS, cipher, shipped_rules("2026.1"))
        finally:
            connection.close()


@pytest.mark.req("P9")
@pytest.mark.req("P10")
@pytest.mark.clock
def test_the_stock_check_judges_each_number_by_the_kernel_on_its_approval_day(database_factory):
    """A region code created after the holder's birth passes, as it did at intake; a birth after the approval
    day (Beijing time) fails, for the bulk path and for documents checked one by one alike."""
    url = database_factory("audit")
    engine = create_engine(url)
    cipher = FieldCipher(KEYS, 2)
    created_late = resident_id("11011819700101002")  # 密云区 (2015) on someone born in 1970
    born = resident_id("11010520261103002")  # born on 3 November 2026
    rows = [("resident_id", *seal_id(cipher, created_late)), ("household_register", *seal_id(cipher, created_late)),
            ("resident_id", *seal_id(cipher, born)), ("household_register", *seal_id(cipher, born)),
            ("resident_id", *seal_id(cipher, born)), ("resident_id", *seal_id(cipher, born))]
    approved_at = [datetime(2026, 11, 2, tzinfo=UTC)] * 4 + [
        datetime(2026, 11, 2, 16, 0, tzinfo=UTC),  # 00:00 on 3 November in Beijing: born that day
        datetime(2026, 11, 2, 15, 59, tzinfo=UTC)]  # 23:59 on 2 November in Beijing: not born yet
    _insert(engine, rows, approved_at)
    run = _check(url, cipher)
    with engine.connect() as db:
        flags = db.execute(text("SELECT s.filing_id, r.codes FROM check_results r JOIN stock s ON s.pk = r.stock_pk "
                                "ORDER BY s.filing_id")).all()
    engine.dispose()
    assert run["rows"] == 6 and run["by_code"] == {"birth_date": 3}
    assert [tuple(flag) for flag in flags] == [("filing-2", "birth_date"), ("filing-3", "birth_date"),
                                               ("filing-5", "birth_date")]


@pytest.mark.req("P9")
@pytest.mark.req("C3")
def test_the_stock_check_flags_invalid_and_tampered_rows_with_the_rules_version(database_factory):
    url = database_factory("audit")
    engine = create_engine(url)
    old, current = FieldCipher(KEYS, 1), FieldCipher(KEYS, 2)
    bad_digit = RESIDENT_ID[:17] + "1"
    tampered = bytearray(seal_id(current, SECOND_RESIDENT_ID)[1])
    tampered[12 + 5] ^= 0x03  # a digit changed at rest
    rows = [("resident_id", *seal_id(old, RESIDENT_ID)), ("resident_id", *seal_id(current, SECOND_RESIDENT_ID)),
            ("resident_id", *seal_id(current, bad_digit)), ("resident_id", 2, bytes(tampered)),
            ("resident_id", *seal_id(current, resident_id("99000019800101001"))),
            ("passport", *seal_id(current, "E12345678")), ("passport", *seal_id(current, "!"))]
    _insert(engine, rows)
    run = _check(url, current)
    assert run["rows"] == 7 and run["flagged"] == 4 and run["tampered"] == 1
    assert run["by_code"] == {"check_digit": 1, "sealed_value_tampered": 1, "region_code": 1, "format": 1}
    with engine.connect() as db:
        flags = db.execute(text("SELECT s.filing_id, r.codes, r.rules_version, r.run_id FROM check_results r "
                                "JOIN stock s ON s.pk = r.stock_pk ORDER BY s.filing_id")).all()
        stored = db.execute(text("SELECT rows, flagged, rules_version FROM check_runs")).one()
        counts = db.execute(text("SELECT province, provider_id, month, flagged FROM check_run_counts")).all()
    engine.dispose()
    assert [(f, c) for f, c, _, _ in flags] == [("filing-2", "check_digit"), ("filing-3", "sealed_value_tampered"),
                                                ("filing-4", "region_code"), ("filing-6", "format")]
    assert {(v, r) for _, _, v, r in flags} == {("2026.1", run["run_id"])}
    assert tuple(stored) == (7, 4, "2026.1")
    assert [tuple(row) for row in counts] == [("京", "p-1", "2026-11", 4)]  # what the quarterly report reads
