"""W6 benchmark: import 100,000 generated stock rows (a few bad) with ``python -m intake.stock``, then again.

Creates a fresh PostgreSQL database at intake's migration head, writes the CSV, and measures, in the same run:

- ``baseline``: the plainest streaming import of the same file — ``csv.DictReader`` and one ``INSERT`` of each
  row's raw fields as JSON, committed per batch of the same size (no rules, no encryption, no plan, no events);
- ``import``: the real command (rules R1.1–R1.8 per row, personal fields encrypted, filing + version + timeline +
  plan + approved sites + ``reverification_requested.v1`` in the outbox, one commit per batch), its progress
  lines passed through as they come;
- ``rerun``: the same command on the same file: it must import 0 rows (idempotent by filing number).

Prints rows/s and the ratios import/baseline and rerun/baseline, the rejected rows (line, field, rule), checks the
database counts, and ends with one JSON line (``--json PATH`` writes it too). Exit status 1 if a check fails.

    .venv/bin/python bench/stock_import.py                  # 100,000 rows: a few minutes on 2 cores
    .venv/bin/python bench/stock_import.py --rows 20000 --json /tmp/stock_import.json
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "services" / "intake")]

from shared.platform.migrations import upgrade  # noqa: E402
from shared.testing.stock import BAD, stock_csv, stock_row  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def bad_rows(rows: int) -> dict[int, str]:
    """One bad row of each kind of :data:`BAD`, spread over the file."""
    kinds = sorted(BAD)
    return {(k + 1) * rows // (len(kinds) + 1): kind for k, kind in enumerate(kinds)}


def baseline(url: str, path: Path, batch: int) -> float:
    """Seconds to stream ``path`` into one JSON column, committing per ``batch`` rows."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE baseline_rows (line integer PRIMARY KEY, data json NOT NULL)"))
    started = time.monotonic()
    with engine.connect() as connection, open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        pending = []
        for row in reader:
            pending.append({"line": reader.line_num, "data": json.dumps(row, ensure_ascii=False)})
            if len(pending) >= batch:
                connection.execute(text("INSERT INTO baseline_rows (line, data) VALUES (:line, :data)"), pending)
                connection.commit()
                pending = []
        if pending:
            connection.execute(text("INSERT INTO baseline_rows (line, data) VALUES (:line, :data)"), pending)
            connection.commit()
    elapsed = time.monotonic() - started
    engine.dispose()
    return elapsed


def command(path: Path, config: Path, batch: int) -> tuple[float, dict, list[str]]:
    """Run the import command; its progress (stderr) is echoed live. Returns (seconds, summary, stderr lines)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "intake.stock", str(path), "--batch", str(batch), "--config",
         str(config)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith("stock import:"):
            print("  " + line.rstrip(), flush=True)
    summary = process.stdout.read()
    if process.wait() != 0:
        raise SystemExit("the import command failed:\n" + "\n".join(lines[-20:]))
    return time.monotonic() - started, json.loads(summary.strip().splitlines()[-1]), lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_stock_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    failures: list[str] = []
    try:
        upgrade(REPO / "services" / "intake", url)
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            bad = bad_rows(args.rows)
            path = work / "stock.csv"
            started = time.monotonic()
            path.write_text(stock_csv(stock_row(i, bad=bad.get(i)) for i in range(args.rows)), encoding="utf-8")
            print(f"generated {args.rows} rows ({len(bad)} bad) in {time.monotonic() - started:.1f} s: {path}")
            config = work / "intake.yaml"
            config.write_text(json.dumps({"DB_URL": url, "PROVIDER_ID": "provider-bench", "ALLOW_DEV_KEYS": True}))

            base = baseline(url, path, args.batch)
            print(f"baseline (csv -> one JSON insert per row, commit per batch): {args.rows / base:,.0f} rows/s")
            print("import:")
            took, first, lines = command(path, config, args.batch)
            rejected = [line for line in lines if line.startswith("line ")]
            print("rejected rows:")
            for line in rejected:
                print("  " + line)
            print("rerun:")
            again, second, _ = command(path, config, args.batch)
    finally:
        engine = create_engine(url)
        with engine.connect() as connection:
            counts = dict(zip(("filings", "plans", "events", "sites"), connection.execute(text(
                "SELECT (SELECT count(*) FROM filings), (SELECT count(*) FROM stock_reverifications),"
                " (SELECT count(*) FROM outbox WHERE event_type = 'reverification_requested.v1'),"
                " (SELECT count(*) FROM approved_sites)")).one(), strict=True))
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    good = args.rows - len(bad)
    if (first["imported"], first["rejected"]) != (good, len(bad)):
        failures.append(f"first run imported {first['imported']} / rejected {first['rejected']}, "
                        f"expected {good} / {len(bad)}")
    if (second["imported"], second["already_imported"]) != (0, good):
        failures.append(f"rerun imported {second['imported']}, already {second['already_imported']}")
    if set(counts.values()) != {good}:
        failures.append(f"database counts {counts}, expected {good} each")
    if len(rejected) != len(bad):
        failures.append(f"{len(rejected)} rejection lines, expected {len(bad)}")
    report = {
        "rows": args.rows, "bad": len(bad), "batch": args.batch,
        "baseline_rows_per_s": round(args.rows / base, 1),
        "import_rows_per_s": round(args.rows / took, 1), "import_seconds": round(took, 1),
        "rerun_rows_per_s": round(args.rows / again, 1), "rerun_seconds": round(again, 1),
        "import_vs_baseline": round(base / took, 4), "rerun_vs_baseline": round(base / again, 4),
        "first": first, "rerun": second, "database": counts, "failures": failures,
    }
    print("\n| run      | rows/s  | seconds | ratio to baseline |")
    print("| -------- | ------- | ------- | ----------------- |")
    print(f"| baseline | {report['baseline_rows_per_s']:>7,.0f} | {base:>7.1f} | 1                 |")
    print(f"| import   | {report['import_rows_per_s']:>7,.0f} | {took:>7.1f} | {report['import_vs_baseline']:<17} |")
    print(f"| rerun    | {report['rerun_rows_per_s']:>7,.0f} | {again:>7.1f} | {report['rerun_vs_baseline']:<17} |")
    for failure in failures:
        print("FAILED: " + failure)
    line = json.dumps(report, ensure_ascii=False)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
