"""W6 on PostgreSQL: the import command streams a CSV in batches with progress output, reports rejected rows by
line and rule and goes on, and imports nothing twice when run again; the plan's overdue filings are counted;
the stock's personal data is encrypted at rest like every filing's."""
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from intake.repository import IntakeUnitOfWork
from intake.usecases import stock
from shared.contracts.errors import Conflict
from shared.platform.crypto import CryptoConfig
from shared.testing.stock import stock_csv, stock_row

pytestmark = [pytest.mark.integration, pytest.mark.clock]

REVERIFICATION = timedelta(days=90)


@pytest.fixture
def db_url(database_factory):
    return database_factory("intake")


@pytest.mark.req("W6")
def test_the_command_streams_batches_with_progress_reports_bad_lines_and_reruns_import_nothing(db_url, tmp_path,
                                                                                              clock):
    rows = [stock_row(i, prefix="07", bad={120: "mobile", 510: "ip_addresses"}.get(i)) for i in range(600)]
    source = tmp_path / "stock.csv"
    source.write_text(stock_csv(rows), encoding="utf-8")
    config = tmp_path / "intake.yaml"
    config.write_text(yaml.safe_dump({"DB_URL": db_url, "PROVIDER_ID": "provider-test", "ALLOW_DEV_KEYS": True}))
    command = [sys.executable, "-m", "intake.stock", str(source), "--batch", "250", "--deadline", clock.day(days=200),
               "--config", str(config)]

    first = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert first.returncode == 0, first.stderr
    step = re.compile(r"stock import: (\d+)/600 rows \(\d+%\), .* rows/s, .* left, imported (\d+), already 0, "
                      r"rejected (\d+)$")
    progress = [step.match(line).groups() for line in first.stderr.splitlines() if line.startswith("stock import:")]
    assert progress == [("251", "250", "1"), ("501", "500", "1"), ("600", "598", "2")]  # a plain line per batch
    rejected = [line for line in first.stderr.splitlines() if line.startswith("line ")]
    assert rejected[0].startswith("line 122: contacts.mobile format (R1.6)")
    assert rejected[1].startswith("line 512: access.ip_addresses.0 not_public (R1.8)")
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (600, 598, 2)

    again = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["imported"], summary["already_imported"], summary["rejected"]) == (0, 598, 2)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        counts = connection.execute(text(
            "SELECT (SELECT count(*) FROM filings), (SELECT count(*) FROM stock_reverifications),"
            " (SELECT count(*) FROM outbox WHERE event_type = 'reverification_requested.v1'),"
            " (SELECT count(*) FROM approved_sites)")).one()
        stored = str(connection.execute(text("SELECT data FROM filing_versions LIMIT 50")).all())
    engine.dispose()
    assert tuple(counts) == (598, 598, 598, 598)
    for row in rows[:50]:
        assert row["mobile"] not in stored and row["person_document_number"] not in stored
        assert row["email"] not in stored


@pytest.mark.req("W6")
def test_progress_counts_pending_filings_past_the_deadline_as_overdue(db_url):
    crypto = CryptoConfig.from_config({})
    engine = create_engine(db_url)
    planned_on = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as session:
        cipher = crypto.cipher()
        uow = IntakeUnitOfWork(session, cipher)

        def import_stock(lines, day):
            deadline = stock.deadline_of(planned_on, day, REVERIFICATION)
            return stock.import_stock(uow, cipher, crypto.hasher(), "provider-test", lambda: planned_on, lines,
                                      source="test", actor="staff:t", deadline=deadline)

        late = import_stock(stock_csv([stock_row(i, prefix="06") for i in range(4)]).splitlines(keepends=True),
                            date(2026, 2, 1))
        assert late["imported"] == 4
        import_stock(stock_csv([stock_row(i, prefix="16") for i in range(2)]).splitlines(keepends=True),
                     date(2099, 1, 1))
        progress = stock.progress(uow, "provider-test", datetime.now(UTC))
    engine.dispose()
    assert (progress["planned"], progress["done"], progress["pending"], progress["overdue"]) == (6, 0, 2, 4)
    assert [(i["overdue"], i["pending"]) for i in progress["imports"]] == [(4, 0), (0, 2)]


@pytest.mark.req("W6")
def test_an_interrupted_import_keeps_its_finished_batches_and_a_new_run_imports_only_the_rest(db_url):
    crypto = CryptoConfig.from_config({})
    engine = create_engine(db_url)
    lines = stock_csv([stock_row(i, prefix="05") for i in range(30)]).splitlines(keepends=True)

    def interrupt(report: dict) -> None:
        raise KeyboardInterrupt  # the process is stopped after its first batch

    with Session(engine, expire_on_commit=False) as session:
        cipher = crypto.cipher()
        uow, now = IntakeUnitOfWork(session, cipher), lambda: datetime.now(UTC)
        deadline = stock.deadline_of(now(), None, REVERIFICATION)

        def import_stock(key, **options):
            return stock.import_stock(uow, cipher, crypto.hasher(), "provider-test", now, lines, source="t",
                                      actor="supervisor:s", deadline=deadline, request_key=key, batch=10, **options)

        with pytest.raises(KeyboardInterrupt):
            import_stock("supervisor:s:k1", progress=interrupt)
        session.rollback()
        with pytest.raises(Conflict) as replay:
            import_stock("supervisor:s:k1")
        assert replay.value.errors[0]["code"] == "in_progress"
        rest = import_stock("supervisor:s:k2")
    engine.dispose()
    assert (rest["imported"], rest["already_imported"]) == (20, 10)
