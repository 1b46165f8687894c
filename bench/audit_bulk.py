#!/usr/bin/env python
"""The filing center's full automatic ID check of the whole stock (P9) and its quarterly statistics (P10, C2), each
as a ratio against a baseline measured in the same run (design.md §7):

- ``check``: ``audit.bulk.check_stock`` over N approved filings in PostgreSQL: binary COPY out, bulk GCM keystream
  decryption, vectorised validation, tag check of the flagged rows, flagged rows COPYed back as the run's
  results. Baseline: the check of one filing (``audit.checks.resident_id_code``, i.e. the kernel's
  ``validate_resident_id``) over the same N numbers one by one, each on its approval day, already decrypted, in a
  Python list (so the baseline pays neither reading nor decryption).
- ``quarterly``: ``audit.usecases.inventories.quarterly_report`` (accuracy per province and provider from the
  latest run, and each provider's filing rate against its hosted-site inventory). Baseline: the bare ``SELECT province,
  provider_id, count(*) FROM stock WHERE approved_at < :end GROUP BY 1, 2`` over the same rows. Best of 5 each.

    python bench/audit_bulk.py [--rows 4000000] [--invalid 0.02] [--json PATH] [--keep-db]
    python bench/audit_bulk.py --equal 1000000

``--equal N`` instead proves the bulk check equal to the kernel on N generated numbers that break every rule
(``shared.testing.resident_ids``; the default suite does 20,000): exit 1 on any number they judge differently.

The stock is generated here, vectorised (numpy): valid resident ID numbers (region codes the kernel accepts for
any birth year, birth dates 1950–2004, sequence, ISO 7064 check character) with ``--invalid`` of them given a wrong
check character; each sealed with AES-256-GCM under the development FIELD_KEYS exactly as the service seals them
(``audit.checks.seal_id``: one ``AESGCM.encrypt`` per row, the only per-row step), and loaded with one binary
``COPY ... FROM STDIN`` per 500,000 rows built as a fixed-width numpy byte matrix. Name and mobile tokens are one
sealed sample repeated and ``id_hmac`` a counter: the check reads neither. Secondary indexes and constraints are
dropped for the load and built after it, as a bulk load does. A fresh database at the service's
migration head is made and dropped afterwards (``--keep-db`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg2
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "services" / "audit")]

from audit.bulk import check_stock  # noqa: E402
from audit.checks import CODES, ID_CONTEXT, region_last_years, resident_id_code, validate_resident_ids  # noqa: E402
from audit.domain import shipped_rules  # noqa: E402
from audit.repository import AuditUnitOfWork  # noqa: E402
from audit.usecases.inventories import quarterly_report  # noqa: E402
from audit.usecases.periods import quarter_end  # noqa: E402
from shared.kernel.identifiers import REGION_IN_USE  # noqa: E402
from shared.kernel.provinces import PROVINCES  # noqa: E402
from shared.platform.crypto import DEV_FIELD_KEY, FieldCipher  # noqa: E402
from shared.platform.db import make_engine  # noqa: E402
from shared.platform.migrations import upgrade  # noqa: E402
from shared.testing.resident_ids import digits_of, generated_resident_ids  # noqa: E402

ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
CHUNK = 500_000
PROVIDERS = 50
EPOCH_2000 = np.datetime64("2000-01-01T00:00:00", "us")
BEIJING = np.timedelta64(8, "h")
WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
# A bulk load builds indexes and checks constraints once, after the rows are in (the schema ends up as migrated).
DROP_FOR_LOAD = """
ALTER TABLE stock DROP CONSTRAINT stock_filing_id_version_key;
DROP INDEX ix_stock_id_hmac;
ALTER TABLE stock_sites DROP CONSTRAINT stock_sites_stock_pk_fkey;
DROP INDEX ix_stock_sites_provider_domain;
"""
RESTORE_AFTER_LOAD = """
ALTER TABLE stock ADD CONSTRAINT stock_filing_id_version_key UNIQUE (filing_id, version);
CREATE INDEX ix_stock_id_hmac ON stock (id_hmac);
ALTER TABLE stock_sites ADD CONSTRAINT stock_sites_stock_pk_fkey FOREIGN KEY (stock_pk) REFERENCES stock (pk);
CREATE INDEX ix_stock_sites_provider_domain ON stock_sites (provider_id, domain, approved_at);
"""
COLUMNS = ("filing_id", "version", "filing_number", "provider_id", "province", "sponsor_kind", "unit_type",
           "approved_at", "document_type", "id_key_version", "id_sealed", "id_hmac", "name_token", "mobile_token",
           "sites")


def generate_numbers(rows: int, invalid: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    always = np.flatnonzero(region_last_years() == REGION_IN_USE)
    region = rng.choice(always, rows)
    births = np.datetime64("1950-01-01") + rng.integers(0, 20_089, rows).astype("timedelta64[D]")
    ymd = births.astype("datetime64[D]").astype(str).astype("S10").view(np.uint8).reshape(rows, 10)
    first17 = np.concatenate([digits_of(region, 6), ymd[:, 0:4], ymd[:, 5:7], ymd[:, 8:10],
                              digits_of(rng.integers(0, 1000, rows), 3)], axis=1)
    check = (1 - (first17.astype(np.int64) - 48) @ WEIGHTS) % 11
    wrong = rng.random(rows) < invalid
    check[wrong] = (check[wrong] + 1 + rng.integers(0, 10, int(wrong.sum()))) % 11
    characters = np.frombuffer(b"0123456789X", dtype=np.uint8)
    return np.concatenate([first17, characters[check][:, None]], axis=1), int(wrong.sum())


def seal_all(numbers: np.ndarray) -> np.ndarray:
    """``(n, 46)`` nonce | ciphertext | tag, as ``audit.checks.seal_id`` makes them (same associated data)."""
    aead = AESGCM(DEV_FIELD_KEY)
    associated = b"icp-field|v1|" + ID_CONTEXT.encode("ascii")
    nonces = os.urandom(12 * numbers.shape[0])
    plain = numbers.tobytes()
    encrypt = aead.encrypt
    sealed = b"".join([nonces[12 * i:12 * i + 12] + encrypt(nonces[12 * i:12 * i + 12], plain[18 * i:18 * i + 18],
                                                              associated) for i in range(numbers.shape[0])])
    return np.frombuffer(sealed, dtype=np.uint8).reshape(-1, 46)


def text_column(values: list[bytes] | np.ndarray, rows: int) -> np.ndarray:
    if isinstance(values, bytes):
        return np.broadcast_to(np.frombuffer(values, dtype=np.uint8), (rows, len(values)))
    return values


def copy_rows(first: int, numbers: np.ndarray, sealed: np.ndarray, approved: np.ndarray,
              rng: np.random.Generator) -> bytes:
    """One binary COPY stream of ``stock`` rows, every field of fixed width, built as a byte matrix."""
    rows = numbers.shape[0]
    index = np.arange(first, first + rows)
    provinces = np.array([p.abbr.encode() for p in PROVINCES])
    province = provinces[rng.integers(0, len(provinces), rows)]
    province_bytes = province.view(np.uint8).reshape(rows, 3)
    provider = np.char.add(b"provider-", np.char.zfill(rng.integers(0, PROVIDERS, rows).astype("S2"), 2))
    approved_us = approved.astype(">i8").view(np.uint8).reshape(rows, 8)
    token = FieldCipher({1: DEV_FIELD_KEY}, 1)
    name_token = token.encrypt("张三", context="audit.stock.responsible_person.name").encode()
    mobile_token = token.encrypt("13800138000", context="audit.stock.contacts.mobile").encode()
    serial = digits_of(index, 12)
    unit = rng.random(rows) < 0.6
    fields = [
        np.concatenate([text_column(b"00000000-0000-4000-8000-", rows), serial], axis=1),
        np.broadcast_to(np.array([0, 0, 0, 1], dtype=np.uint8), (rows, 4)),
        np.concatenate([province_bytes, text_column("ICP备2026".encode(), rows), serial[:, 6:],
                        text_column("号".encode(), rows)], axis=1),
        provider.view(np.uint8).reshape(rows, 11),
        province_bytes,
        None,  # sponsor_kind: by group below
        None,  # unit_type: by group below
        approved_us,
        text_column(b"resident_id", rows),
        np.broadcast_to(np.array([0, 1], dtype=np.uint8), (rows, 2)),
        sealed,
        np.concatenate([text_column(b"0" * 52, rows), serial], axis=1),
        text_column(name_token, rows),
        text_column(mobile_token, rows),
        np.concatenate([text_column(b'["s', rows), serial[:, 2:], text_column(b'.cn"]', rows)], axis=1),
    ]
    parts = []
    for group, kind, unit_type in ((unit, b"unit", b"enterprise"), (~unit, b"individual", None)):
        count = int(group.sum())
        pieces = [np.broadcast_to(np.array([0, len(COLUMNS)], dtype=np.uint8), (count, 2))]
        for position, column in enumerate(fields):
            if position == 5:
                column = text_column(kind, count)
            elif position == 6:
                if unit_type is None:
                    pieces.append(np.broadcast_to(np.frombuffer(b"\xff\xff\xff\xff", dtype=np.uint8), (count, 4)))
                    continue
                column = text_column(unit_type, count)
            else:
                column = column[group]
            width = column.shape[1]
            pieces.append(np.broadcast_to(np.frombuffer(width.to_bytes(4, "big"), dtype=np.uint8), (count, 4)))
            pieces.append(column)
        parts.append(np.ascontiguousarray(np.concatenate(pieces, axis=1)).tobytes())
    return b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8 + b"".join(parts) + b"\xff\xff"


class _Stream:
    def __init__(self, data: bytes):
        self.data, self.at = memoryview(data), 0

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) - self.at if size < 0 else size
        chunk = self.data[self.at:self.at + size]
        self.at += len(chunk)
        return chunk.tobytes()

    readline = read


def connect(url: str):
    parsed = make_url(url)
    return psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                            dbname=parsed.database)


def best_of(runs: int, action) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def prove_equal(count: int, seed: int) -> int:
    """The bulk check and the kernel, number by number, on ``count`` generated numbers: 0 if every verdict agrees."""
    clock = time.perf_counter()
    numbers, references = generated_resident_ids(count, seed)
    generate_s = time.perf_counter() - clock
    clock = time.perf_counter()
    bulk = [CODES[code] for code in validate_resident_ids(numbers, references)]
    bulk_s = time.perf_counter() - clock
    texts = [row.tobytes().decode("utf-8") for row in numbers]
    clock = time.perf_counter()
    kernel = list(map(resident_id_code, texts, references.astype(object)))
    kernel_s = time.perf_counter() - clock
    differ = sum(b != k for b, k in zip(bulk, kernel, strict=True))
    by_code = {code: kernel.count(code) for code in CODES}
    print(f"{count:,} generated numbers ({generate_s:.2f} s): bulk {bulk_s:.2f} s, kernel one by one {kernel_s:.2f} s;"
          f" verdicts {by_code}; {differ} differ")
    print(json.dumps({"equal_numbers": count, "differ": differ, "by_code": by_code, "bulk_s": round(bulk_s, 3),
                      "kernel_s": round(kernel_s, 3)}))
    return 0 if differ == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--invalid", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--equal", type=int, metavar="N", help="only prove the bulk check equal to the kernel")
    args = parser.parse_args()
    if args.equal:
        return prove_equal(args.equal, args.seed)
    rng = np.random.default_rng(args.seed)
    name = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = connect(ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    report: dict = {"rows": args.rows, "invalid_share": args.invalid}
    try:
        upgrade(REPO / "services" / "audit", url)
        clock = time.perf_counter()
        numbers, wrong = generate_numbers(args.rows, args.invalid, rng)
        since_2000 = (np.datetime64("2026-01-01T00:00:00", "us") - EPOCH_2000).astype(np.int64)
        approved = since_2000 + rng.integers(0, 365 * 86_400_000_000, args.rows)  # µs since 2000, UTC
        approval_days = ((EPOCH_2000 + approved.astype("timedelta64[us]") + BEIJING).astype("datetime64[D]")
                         .astype(object))
        report["generate_numbers_s"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        sealed = seal_all(numbers)
        report["seal_s"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        connection = connect(url)
        with connection.cursor() as cursor:
            cursor.execute(DROP_FOR_LOAD)
            for first in range(0, args.rows, CHUNK):
                last = min(first + CHUNK, args.rows)
                stream = copy_rows(first, numbers[first:last], sealed[first:last], approved[first:last], rng)
                cursor.copy_expert(f"COPY stock ({', '.join(COLUMNS)}) FROM STDIN (FORMAT binary)", _Stream(stream))
            cursor.execute("INSERT INTO stock_sites (stock_pk, provider_id, domain, approved_at) "
                           "SELECT pk, provider_id, sites::json->>0, approved_at FROM stock")
            cursor.execute("INSERT INTO hosted_sites (provider_id, domain, import_id, imported_at) "
                           "SELECT provider_id, domain, 'bench', now() FROM stock_sites WHERE stock_pk % 200 = 0 "
                           "UNION ALL SELECT 'provider-' || lpad((g % 50)::text, 2, '0'), 'unfiled' || g || '.cn', "
                           "'bench', now() FROM generate_series(1, 1000) g")
            cursor.execute(RESTORE_AFTER_LOAD)
        connection.commit()
        connection.autocommit = True
        connection.cursor().execute("VACUUM ANALYZE")
        connection.autocommit = False
        report["load_s"] = round(time.perf_counter() - clock, 2)
        print(f"generated {args.rows:,} rows ({wrong:,} invalid): numbers {report['generate_numbers_s']} s, "
              f"sealing {report['seal_s']} s, COPY + sites + analyse {report['load_s']} s", flush=True)

        text = numbers.tobytes().decode("ascii")
        strings = [text[i:i + 18] for i in range(0, 18 * args.rows, 18)]
        clock = time.perf_counter()
        passed = [code == "ok" for code in map(resident_id_code, strings, approval_days)]
        baseline = time.perf_counter() - clock
        valid = sum(passed)
        print(f"baseline one-by-one kernel check: {baseline:.2f} s ({baseline / args.rows * 1e6:.2f} µs/number), "
              f"{args.rows - valid:,} invalid", flush=True)
        # What the loop costs per number that fails early (the check character): far less than a valid one,
        # whose region lookup dominates; reported so the ratio can be read for stock of another make-up.
        invalid = [(number, day) for number, day, ok in zip(strings, approval_days, passed, strict=True) if not ok]
        clock = time.perf_counter()
        [resident_id_code(number, day) for number, day in invalid]
        invalid_us = (time.perf_counter() - clock) / max(len(invalid), 1) * 1e6
        report["kernel_us_per_invalid_number"] = round(invalid_us, 2)

        rules = shipped_rules()
        cipher = FieldCipher({1: DEV_FIELD_KEY}, 1)
        run = check_stock(connection, {1: DEV_FIELD_KEY}, cipher, rules)
        if run["flagged"] != args.rows - valid or run["rows"] != args.rows:
            raise SystemExit(f"bulk check disagrees with the kernel: {run['flagged']} flagged, "
                             f"{args.rows - valid} invalid")
        print(f"full check: {run['seconds']:.2f} s ({run['seconds'] / args.rows * 1e6:.3f} µs/filing) phases "
              f"{run['phases']}; flagged {run['flagged']:,} = the kernel's invalid", flush=True)
        report.update(baseline_kernel_s=round(baseline, 3), check_s=run["seconds"], check_phases=run["phases"],
                      check_us_per_filing=round(run["seconds"] / args.rows * 1e6, 3),
                      flagged=run["flagged"], check_speedup=round(baseline / run["seconds"], 1))

        engine = make_engine(url, pool_size=1)
        end = quarter_end("2026Q4")
        bare = "SELECT province, provider_id, count(*) FROM stock WHERE approved_at < %s GROUP BY 1, 2"

        def bare_query():
            with connection.cursor() as cursor:
                cursor.execute(bare, (end,))
                return cursor.fetchall()

        def quarterly():
            with Session(engine) as session:
                return quarterly_report(AuditUnitOfWork(session), "2026Q4", rules=rules)

        bare_s, groups = best_of(5, bare_query)
        quarterly_s, answer = best_of(5, quarterly)
        engine.dispose()
        # the same rows as the bare query (filings approved before the quarter's end, Asia/Shanghai)
        assert sum(p["filings"] for p in answer["provinces"]) == sum(count for _, _, count in groups)
        assert sum(p["filings"] for p in answer["providers"]) == sum(count for _, _, count in groups)
        print(f"quarterly statistics: {quarterly_s:.3f} s vs bare GROUP BY {bare_s:.3f} s ({len(groups)} groups)",
              flush=True)
        report.update(bare_group_by_s=round(bare_s, 3), quarterly_s=round(quarterly_s, 3),
                      quarterly_ratio=round(quarterly_s / bare_s, 2))
        connection.close()
    finally:
        if not args.keep_db:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    print(f"check: {report['check_speedup']}x faster than the one-by-one kernel loop (target >= 10x); "
          f"quarterly statistics: {report['quarterly_ratio']}x the bare GROUP BY (target <= 2x)")
    print(json.dumps(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["check_speedup"] >= 10 and report["quarterly_ratio"] <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
