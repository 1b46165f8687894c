"""W6: the stock — filings approved before face-to-face verification existed — imported from CSV, planned for
on-site re-verification by a deadline, their responsible persons invited, and progress tracked per provider.

Use cases in the conventions of :mod:`intake.usecases`, except that :func:`import_stock` **commits once per
batch**: it is a batch job over up to hundreds of thousands of rows, streamed, so that progress is visible and
an interrupted run keeps what it finished. It is idempotent: each filing is keyed by its filing number, so a
re-run (or the rest of an interrupted run) imports nothing twice.

Each imported row becomes, in one transaction per batch: an approved filing (personal fields encrypted at rest,
as every filing), its plan (``pending`` until ``onsite_verified.v1``; overdue past the deadline), its sites in
the approved-sites list (P8: the sites are already connected), and ``reverification_requested.v1`` in the outbox
(notify invites the responsible person by SMS; verification opens an on-site window). A bad row is reported with
its line number, field, code and rule, and the rest go on.

Command: ``python -m intake.stock FILE.csv [--deadline YYYY-MM-DD] [--batch N] [--workers N] [--config FILE]``
(``-`` reads stdin); the columns are :data:`intake.domain.STOCK_COLUMNS` (lists separated by ``;``).
"""

import argparse
import contextlib
import csv
import json
import os
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from datetime import time as clock

import structlog
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import domain
from intake.domain import FilingState
from intake.models import (
    ApprovedSite,
    Filing,
    FilingVersion,
    StockImport,
    StockReverification,
    TimelineEntry,
    outbox,
)
from intake.usecases import SERVICE, SHANGHAI, STORE_CONTEXT, Deps, _all_personal_paths, bump_sites_revision
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
    field_errors,
)
from shared.contracts.intake import REVERIFICATION_REQUESTED, SEAL_CONTEXT, personal_paths
from shared.contracts.registry import EVENTS
from shared.platform.sealing import seal

log = structlog.get_logger(__name__)

BATCH = 1000
CHECK_CHUNK = 250  # rows per task for the checking processes
MAX_HTTP_BYTES = 8 * 1024 * 1024  # about 25,000 rows; a larger stock goes through the command
MAX_STORED_REJECTIONS = 1000  # the report keeps the first ones; the count is always complete
PENDING, DONE = "pending", "done"

Progress = Callable[[dict], None]


def csv_text(body: bytes, mimetype: str) -> str:
    """The uploaded CSV as text: ``text/csv`` in UTF-8 (a byte-order mark is dropped)."""
    if mimetype != "text/csv":
        raise UnsupportedMediaType("send the stock as text/csv", field_errors(
            FieldError("Content-Type", "media_type", "The stock is uploaded as text/csv (UTF-8).", "W6")))
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("the CSV is not UTF-8", field_errors(FieldError(
            "body", "encoding", f"The CSV must be UTF-8 (byte {exc.start} is not).", "W6"))) from None


def deadline_of(deps: Deps, day: date | None) -> datetime:
    """The end (Asia/Shanghai) of ``day``, or of ``reverification`` from today; a day in the past is refused."""
    today = deps.now().astimezone(SHANGHAI).date()
    day = day or today + timedelta(days=max(deps.reverification.days, 1))
    if day < today:
        raise BadRequest("the deadline is in the past", field_errors(
            FieldError("deadline", "past", "The re-verification deadline must not be in the past.", "W6")))
    return datetime.combine(day, clock(23, 59, 59), tzinfo=SHANGHAI)


def _check_chunk(chunk: list[tuple[int, dict]], today: date) -> list[tuple]:
    return [(line, *domain.stock_row(row, today)) for line, row in chunk]


def _checked_rows(reader: csv.DictReader, today: date, workers: int) -> Iterator[tuple]:
    """``(line, filing number, data, problems)`` per row, in file order. With ``workers`` > 0 the rules (the
    CPU-heavy part) run in that many processes, a bounded number of chunks ahead, while this process writes."""
    if workers <= 0:
        for row in reader:
            yield (reader.line_num, *domain.stock_row(row, today))
        return
    with ProcessPoolExecutor(workers) as pool:
        ahead: deque = deque()
        chunk: list[tuple[int, dict]] = []
        for row in reader:
            chunk.append((reader.line_num, row))
            if len(chunk) == CHECK_CHUNK:
                ahead.append(pool.submit(_check_chunk, chunk, today))
                chunk = []
                if len(ahead) > 2 * workers:
                    yield from ahead.popleft().result()
        if chunk:
            ahead.append(pool.submit(_check_chunk, chunk, today))
        while ahead:
            yield from ahead.popleft().result()


def import_stock(deps: Deps, lines: Iterable[str], *, source: str, actor: str, deadline: datetime,
                 request_key: str | None = None, batch: int = BATCH, progress: Progress | None = None,
                 workers: int = 0) -> dict:
    """W6: import the CSV ``lines`` in batches of ``batch`` rows; returns the import's report. A CSV whose header
    lacks a column raises ``ValidationFailed`` before anything is stored. ``request_key`` (HTTP's actor and
    Idempotency-Key) makes a replayed request return the first report. ``progress(report)`` after each batch.
    ``workers``: processes that check the rows (0: checked in this process, as inside a service worker)."""
    if request_key is not None:
        query = select(StockImport).where(StockImport.request_key == request_key)
        done = deps.session.execute(query).scalar_one_or_none()
        if done is not None and done.finished_at is None:
            message = ("this import is still running or was interrupted; send the file again with a new "
                       "Idempotency-Key (rows already imported are skipped)")
            raise Conflict(message, field_errors(FieldError("Idempotency-Key", "in_progress", message, "W6")))
        if done is not None:
            return report(done)
    reader = csv.DictReader(lines)
    header = [name.strip() for name in (reader.fieldnames or [])]
    problems = domain.stock_header_problems(header)
    if problems:
        raise ValidationFailed("the CSV header is incomplete; nothing was imported", field_errors(*problems))
    reader.fieldnames = header
    now = deps.now()
    run = StockImport(id=str(uuid.uuid4()), provider_id=deps.provider_id, request_key=request_key,
                      source=source[:250], started_by=actor, started_at=now, deadline=deadline, rows=0, imported=0,
                      already_imported=0, rejected=0, rejections=[])
    deps.session.add(run)
    try:
        deps.session.commit()
    except IntegrityError:  # the same request, sent twice at once: the first one runs
        deps.session.rollback()
        message = "this import is already running; wait for its report"
        raise Conflict(message, field_errors(FieldError("Idempotency-Key", "in_progress", message, "W6"))) from None
    today = now.astimezone(SHANGHAI).date()
    seen: dict[str, int] = {}
    rejections: list[dict] = []
    pending: list[tuple[int, str, dict]] = []
    reported = [0]  # rows counted at the last flush

    def reject(line: int, number: str | None, errors: list[FieldError]) -> None:
        run.rejected += 1
        if len(rejections) < MAX_STORED_REJECTIONS:
            rejections.append({"line": line, "filing_number": number, "errors": [e.to_dict() for e in errors]})

    def flush() -> None:
        if run.rows == reported[0]:
            return
        reported[0] = run.rows
        _write_batch(deps, run, pending, reject)
        pending.clear()
        run.rejections = list(rejections)
        deps.session.commit()
        if progress is not None:
            progress(report(run))

    for line, number, data, errors in _checked_rows(reader, today, workers):
        run.rows += 1
        if not errors and number in seen:
            errors = [FieldError("filing_number", "duplicate", f"The filing number is already on line {seen[number]}.",
                                 "W6")]
        if errors:
            reject(line, number, errors)
            continue
        seen[number] = line
        pending.append((line, number, data))
        if len(pending) >= batch:
            flush()
    flush()
    run.finished_at = deps.now()
    deps.session.commit()
    log.info("stock_imported", import_id=run.id, rows=run.rows, imported=run.imported,
             already_imported=run.already_imported, rejected=run.rejected)
    return report(run)


def _write_batch(deps: Deps, run: StockImport, rows: list[tuple[int, str, dict]], reject) -> None:
    """Store one batch: rows already imported (by filing number) are counted and skipped, a row whose domain is
    already connected under another filing is rejected (P8), the rest become filings, plans, sites and events."""
    if not rows:
        return
    session: Session = deps.session
    numbers = [number for _, number, _ in rows]
    known = set(session.execute(select(StockReverification.filing_number).where(
        StockReverification.filing_number.in_(numbers))).scalars())
    domains = {d["ascii"] for _, _, data in rows for site in data["websites"] for d in site["domains"]}
    taken = set(session.execute(select(ApprovedSite.domain).where(ApprovedSite.domain.in_(domains))).scalars())
    now = deps.now()
    filings, versions, timeline, plans, sites, events = [], [], [], [], [], []
    for line, number, data in rows:
        if number in known:
            run.already_imported += 1
            continue
        numbered = domain.website_numbers(number, data["websites"])
        clash = sorted(set(numbered) & taken)
        if clash:
            reject(line, number, [FieldError("domains", "already_approved",
                                             f"The domain {clash[0]} is already connected under another filing.",
                                             "P8")])
            continue
        taken |= set(numbered)
        filing_id = str(uuid.uuid4())
        sponsor = data["sponsor"]
        lookups = {"responsible_person_document": deps.hasher.digest(
            data["responsible_person"]["document_number"], kind="person_document"),
            "mobile": deps.hasher.digest(data["contacts"]["mobile"], kind="mobile")}
        filings.append({"id": filing_id, "provider_id": deps.provider_id, "state": FilingState.APPROVED.value,
                        "version": 1, "approved_version": 1, "attempt": 0, "filing_number": number,
                        "sponsor_kind": sponsor["kind"], "province": sponsor["province"],
                        "person_document_hmac": lookups["responsible_person_document"],
                        "mobile_hmac": lookups["mobile"], "created_by": run.started_by, "created_at": now,
                        "updated_at": now})
        versions.append({"filing_id": filing_id, "version": 1, "submitted_at": None,
                         "data": seal(data, _all_personal_paths(), deps.cipher, STORE_CONTEXT)})
        timeline.append({"filing_id": filing_id, "at": now, "state": FilingState.APPROVED.value, "version": 1,
                         "actor": run.started_by, "reasons": [],
                         "note": f"imported from the stock (line {line}); on-site re-verification due by "
                                 f"{run.deadline.astimezone(SHANGHAI).date().isoformat()} (W6)"})
        plans.append({"filing_number": number, "filing_id": filing_id, "provider_id": deps.provider_id,
                      "import_id": run.id, "line": line, "state": PENDING, "requested_at": now,
                      "deadline": run.deadline, "done_at": None})
        sites += [{"domain": name, "filing_id": filing_id, "website_number": site_number, "approved_at": now}
                  for name, site_number in numbered.items()]
        envelope = make_envelope(REVERIFICATION_REQUESTED, SERVICE, {
            "filing_id": filing_id, "version": 1, "filing_number": number, "provider_id": deps.provider_id,
            "province": sponsor["province"], "import_id": run.id, "requested_at": now.isoformat(),
            "deadline": run.deadline.isoformat(),
            **seal({k: data[k] for k in ("sponsor", "responsible_person", "contacts", "websites", "access")},
                   personal_paths(sponsor["kind"]), deps.cipher, SEAL_CONTEXT),
            "lookups": lookups,
        }, filing_id)
        events.append({"id": envelope["meta"]["id"], "event_type": REVERIFICATION_REQUESTED,
                       "correlation_id": filing_id, "envelope": envelope, "created_at": now, "attempts": 0,
                       "next_attempt_at": now})
    if not filings:
        return
    EVENTS.validate_outgoing_many([event["envelope"] for event in events])  # the outbox's check, for a bulk insert
    session.execute(insert(Filing), filings)
    session.execute(insert(FilingVersion), versions)
    session.execute(insert(TimelineEntry), timeline)
    session.execute(insert(StockReverification), plans)
    session.execute(insert(ApprovedSite), sites)
    session.execute(outbox.insert(), events)
    run.imported += len(filings)
    bump_sites_revision(deps, deps.provider_id, sorted(s["domain"] for s in sites), [], run.id)


def report(run: StockImport) -> dict:
    return {"import_id": run.id, "source": run.source, "started_by": run.started_by,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "deadline": run.deadline.isoformat(), "rows": run.rows, "imported": run.imported,
            "already_imported": run.already_imported, "rejected": run.rejected,
            "rejections": run.rejections, "rejections_listed": len(run.rejections or [])}


def get_import(deps: Deps, import_id: str) -> dict:
    run = deps.session.get(StockImport, import_id) if _is_uuid(import_id) else None
    if run is None or run.provider_id != deps.provider_id:
        raise NotFound("no such import", field_errors(
            FieldError("import_id", "unknown", "No stock import with this id exists for this provider.", "W6")))
    return report(run)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def progress(deps: Deps) -> dict:
    """W6: the provider's re-verification against its plan: done, pending (deadline not passed) and overdue
    (pending past the deadline), in total and per import."""
    now = deps.now()
    overdue = (StockReverification.state == PENDING) & (StockReverification.deadline < now)
    query = select(
        StockReverification.import_id,
        func.count(),
        func.count().filter(StockReverification.state == DONE),
        func.count().filter(overdue),
        func.min(StockReverification.deadline),
    ).where(StockReverification.provider_id == deps.provider_id).group_by(StockReverification.import_id)
    imports = []
    for import_id, planned, done, late, deadline in deps.session.execute(query):
        imports.append({"import_id": import_id, "planned": planned, "done": done, "overdue": late,
                        "pending": planned - done - late, "deadline": deadline.isoformat()})
    total = {key: sum(i[key] for i in imports) for key in ("planned", "done", "pending", "overdue")}
    return {"provider_id": deps.provider_id, "at": now.isoformat(), **total,
            "imports": sorted(imports, key=lambda i: i["deadline"])}


# --- the command ---------------------------------------------------------------------------------------------


def _config(path: str) -> dict:
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _data_lines(path: str) -> int:
    """The lines after the header: the rows, but for a quoted field that spans lines (the estimate's total)."""
    with open(path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def main(argv: list[str] | None = None) -> int:
    from intake.dependencies import Settings, settings_from_config
    from shared.platform.crypto import CryptoConfig
    from shared.platform.db import make_engine
    from shared.platform.logging import configure_logging
    from shared.platform.progress import Progress

    parser = argparse.ArgumentParser(prog="python -m intake.stock", description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="the CSV file (UTF-8, header line first), or - for stdin")
    parser.add_argument("--deadline", type=date.fromisoformat, help="re-verify by this day (default: settings)")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--workers", type=int, default=max((os.cpu_count() or 1) - 1, 1),
                        help="processes checking the rows (default: one per core but one; 0: none)")
    parser.add_argument("--config", default="services/intake/config.yaml")
    parser.add_argument("--actor", default="staff:stock-import")
    args = parser.parse_args(argv)
    config = _config(args.config)
    configure_logging("intake", level=config.get("LOG_LEVEL") or "INFO", stream=sys.stderr)  # stdout: the summary
    settings = settings_from_config(config)
    crypto = CryptoConfig.from_config(config)
    engine = make_engine(config["DB_URL"], pool_size=1)
    shown = Progress("stock import", None if args.csv == "-" else _data_lines(args.csv), stream=sys.stderr)

    def show(rep: dict) -> None:
        shown.at(rep["rows"], f"imported {rep['imported']}, already {rep['already_imported']}, "
                              f"rejected {rep['rejected']}")

    with shown, Session(engine, expire_on_commit=False) as session:
        deps = Deps(session=session, cipher=crypto.cipher(), hasher=crypto.hasher(), store=None, bucket="",
                    provider_id=settings.provider_id, now=Settings.now, reverification=settings.reverification)
        try:
            with contextlib.ExitStack() as stack:
                handle = sys.stdin if args.csv == "-" else stack.enter_context(
                    open(args.csv, encoding="utf-8-sig", newline=""))
                result = import_stock(deps, handle, source=args.csv, actor=args.actor,
                                      deadline=deadline_of(deps, args.deadline), batch=args.batch, progress=show,
                                      workers=args.workers)
        except (ValidationFailed, BadRequest) as exc:
            for error in exc.errors:
                print(f"error: {error['field']}: {error['message']} ({error['rule']})", file=sys.stderr)
            return 2
    engine.dispose()
    for rejection in result["rejections"]:
        for error in rejection["errors"]:
            print(f"line {rejection['line']}: {error['field']} {error['code']} ({error['rule']}): {error['message']}",
                  file=sys.stderr)
    summary = {k: result[k] for k in ("import_id", "rows", "imported", "already_imported", "rejected", "deadline")}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
