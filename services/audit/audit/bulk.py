"""The batch check of the whole stock (P9, P10): every approved filing's ID number, checked in bulk.

One pass, no per-row Python: the sealed numbers are read with ``COPY ... TO STDOUT (FORMAT binary)`` into a
numpy structured array (fixed-width columns), decrypted all at once (``audit.checks.open_ids``: one AES-ECB call
per key version makes the GCM keystream), validated all at once (``audit.checks.validate_resident_ids``), and only
the flagged rows are written back, with ``COPY ... FROM STDIN``, as ``check_results`` of the run. Each flagged row's
GCM tag is then checked (``audit.checks.open_id``): a row whose stored bytes were changed is reported as
``sealed_value_tampered`` instead of a document error (docs/decisions/0003 explains why tags of passing rows are
not checked here).

Rows whose document is not a resident ID card (passports, permits: a handful) are checked one by one with
``audit.checks.check_document``. The public-security check ran when each filing arrived; this job re-checks
documents by the rules in force, each on its filing's approval day (so a re-check in a later quarter gives the same
verdict). It runs as ``python -m audit.cli check-stock`` (a job, not an RPC), on a plain
psycopg2 connection.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

import numpy as np
import psycopg2.extensions

from audit.checks import CODES, SEALED_RESIDENT_ID, check_document, open_id, open_ids, validate_resident_ids
from audit.domain import Rules
from shared.platform.crypto import DecryptionError, FieldCipher
from shared.platform.progress import Progress

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
ROW = np.dtype([("fields", ">i2"), ("pk_len", ">i4"), ("pk", ">i8"), ("ver_len", ">i4"), ("ver", ">i2"),
                ("id_len", ">i4"), ("sealed", "u1", (SEALED_RESIDENT_ID,)), ("day_len", ">i4"), ("day", ">i4")])
# The reference date of each number is its filing's approval day in Beijing (audit.checks); a binary COPY sends a
# date as days since 2000-01-01.
APPROVAL_DAY = "(approved_at AT TIME ZONE 'Asia/Shanghai')::date"
POSTGRES_EPOCH = np.datetime64("2000-01-01", "D")
READ_SQL = (f"COPY (SELECT pk, id_key_version, id_sealed, {APPROVAL_DAY} FROM stock "
            f"WHERE document_type = 'resident_id' AND octet_length(id_sealed) = {SEALED_RESIDENT_ID}) "
            "TO STDOUT (FORMAT binary)")
RUN_COUNTS_SQL = """
INSERT INTO check_run_counts (run_id, province, provider_id, month, flagged)
SELECT %(run)s, s.province, s.provider_id, to_char(s.approved_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), count(*)
FROM check_results r JOIN stock s ON s.pk = r.stock_pk
WHERE r.run_id = %(run)s
GROUP BY 2, 3, 4
"""
PHASES = ("read", "decrypt", "validate", "tag_check_flagged", "write")
OTHER_SQL = (f"SELECT pk, document_type, id_key_version, id_sealed, {APPROVAL_DAY} FROM stock "
             "WHERE document_type <> 'resident_id'")


def parse_copy(buffer: bytes | memoryview) -> np.ndarray:
    """The rows of a binary COPY of (int8, int2, bytea(46), date) as a structured array, without a per-row
    loop."""
    view = memoryview(buffer)
    if bytes(view[:11]) != _SIGNATURE:
        raise ValueError("not a PostgreSQL binary COPY stream")
    extension = int.from_bytes(view[15:19], "big")
    body = view[19 + extension:len(view) - 2]
    if len(body) % ROW.itemsize:
        raise ValueError("COPY rows are not of the expected fixed width")
    rows = np.frombuffer(body, dtype=ROW)
    expected = (rows["fields"] == 4) & (rows["pk_len"] == 8) & (rows["ver_len"] == 2) & (
        rows["id_len"] == SEALED_RESIDENT_ID) & (rows["day_len"] == 4)
    if not expected.all():
        raise ValueError("COPY rows are not of the expected fixed width")
    return rows


def read_stock(connection) -> np.ndarray:
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        cursor.copy_expert(READ_SQL, buffer)
    return parse_copy(buffer.getbuffer())


@contextmanager
def blocking_copy() -> Iterator[None]:
    """COPY refuses a green (eventlet) wait callback: the batch job blocks on purpose, it owns its process."""
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def check_stock(connection, keys: Mapping[int, bytes], cipher: FieldCipher, rules: Rules,
                progress_to: TextIO | None = None) -> dict:
    """Check every filing of the stock; returns the run ``{run_id, rows, flagged, tampered, by_code, seconds,
    phases}`` (``phases``: seconds of read, decrypt, validate, tag_check_flagged, write).

    ``connection`` is a psycopg2 connection to the audit database, opened outside an eventlet hub (or under
    :func:`blocking_copy`); the run is committed at the end (a failed run leaves nothing). With ``progress_to``,
    each phase is shown there as it ends, with its rows and their rate (the phases are whole-array steps)."""
    started, clock = datetime.now(UTC), time.perf_counter()
    phases: dict[str, float] = {}
    progress = Progress("stock check", len(PHASES), unit="phases", stream=progress_to)

    def lap(name: str, count: int) -> None:
        phases[name] = round(time.perf_counter() - clock - sum(phases.values()), 3)
        rate = f"{count / phases[name]:.0f} rows/s" if phases[name] else "at once"
        progress.advance(1, f"{name} {count} rows, {rate}")

    run_id = str(uuid.uuid4())
    rows = read_stock(connection)
    lap("read", rows.size)
    numbers = open_ids(keys, rows["ver"], rows["sealed"])
    lap("decrypt", rows.size)
    codes = validate_resident_ids(numbers, POSTGRES_EPOCH + rows["day"].astype("timedelta64[D]"))
    lap("validate", rows.size)
    flagged_at = np.flatnonzero(codes)
    flagged_codes = [CODES[code] for code in codes[flagged_at]]
    tampered = 0
    for position, index in enumerate(flagged_at):
        try:
            open_id(cipher, int(rows["ver"][index]), rows["sealed"][index].tobytes())
        except DecryptionError:
            flagged_codes[position] = "sealed_value_tampered"
            tampered += 1
    lap("tag_check_flagged", flagged_at.size)
    flagged_pks = rows["pk"][flagged_at].tolist()
    others, other_rows = _check_others(connection, cipher)
    flagged_pks += [pk for pk, _ in others]
    flagged_codes += [code for _, code in others]
    now = datetime.now(UTC).isoformat()
    out = io.StringIO()
    for pk, code in zip(flagged_pks, flagged_codes, strict=True):
        out.write(f"{pk}\t{run_id}\tid_check\tfail\t{code}\t{rules.version}\t{now}\n")
    out.seek(0)
    total = int(rows.size) + other_rows
    seconds = time.perf_counter() - clock
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO check_runs (id, rules_version, started_at, finished_at, rows, flagged, tampered,"
                       " seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                       (run_id, rules.version, started, datetime.now(UTC), total, len(flagged_pks), tampered,
                        seconds))
        cursor.copy_expert("COPY check_results (stock_pk, run_id, \"check\", outcome, codes, rules_version, "
                           "checked_at) FROM STDIN", out)
        cursor.execute(RUN_COUNTS_SQL, {"run": run_id})
    connection.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE check_results")  # the run's rows changed its size: keep the reports' plans right
    connection.commit()
    lap("write", len(flagged_pks) + other_rows)
    progress.close()
    by_code: dict[str, int] = {}
    for code in flagged_codes:
        by_code[code] = by_code.get(code, 0) + 1
    return {"run_id": run_id, "rules_version": rules.version, "rows": total, "flagged": len(flagged_pks),
            "tampered": tampered, "by_code": by_code, "seconds": round(time.perf_counter() - clock, 3),
            "phases": phases}


def _check_others(connection, cipher: FieldCipher) -> tuple[list[tuple[int, str]], int]:
    """Documents other than resident IDs (and resident IDs of another stored length), one by one: ``(flagged
    (pk, code) pairs, rows checked)``."""
    flagged, checked = [], 0
    with connection.cursor() as cursor:
        cursor.execute(OTHER_SQL + f" OR octet_length(id_sealed) <> {SEALED_RESIDENT_ID}")
        for pk, document_type, version, sealed, approval_day in cursor:
            checked += 1
            try:
                number = open_id(cipher, version, bytes(sealed))
            except DecryptionError:
                flagged.append((pk, "sealed_value_tampered"))
                continue
            reasons = check_document(document_type, number, approval_day)
            if reasons:
                flagged.append((pk, reasons[0]["code"]))
    return flagged, checked

