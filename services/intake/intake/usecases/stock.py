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
its line number, field, code and rule, and the rest go on. The command is :mod:`intake.stock`.
"""

import csv
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from datetime import time as clock

import structlog

from intake import domain
from intake.domain import FilingState
from intake.domain.stock import StockImport
from intake.repository import SERVICE, IntakeUnitOfWork
from intake.usecases import sites
from intake.usecases.filings import SHANGHAI
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
from shared.platform.sealing import seal

log = structlog.get_logger(__name__)

BATCH = 1000
CHECK_CHUNK = 250  # rows per task for the checking processes
MAX_HTTP_BYTES = 8 * 1024 * 1024  # about 25,000 rows; a larger stock goes through the command
MAX_STORED_REJECTIONS = 1000  # the report keeps the first ones; the count is always complete
PENDING = "pending"

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


def deadline_of(now: datetime, day: date | None, reverification: timedelta) -> datetime:
    """The end (Asia/Shanghai) of ``day``, or of ``reverification`` from today; a day in the past is refused."""
    today = now.astimezone(SHANGHAI).date()
    day = day or today + timedelta(days=max(reverification.days, 1))
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


def import_stock(uow: IntakeUnitOfWork, cipher, hasher, provider_id: str, now: Callable[[], datetime],
                 lines: Iterable[str], *, source: str, actor: str, deadline: datetime, request_key: str | None = None,
                 batch: int = BATCH, progress: Progress | None = None, workers: int = 0) -> dict:
    """W6: import the CSV ``lines`` in batches of ``batch`` rows; returns the import's report. A CSV whose header
    lacks a column raises ``ValidationFailed`` before anything is stored. ``request_key`` (HTTP's actor and
    Idempotency-Key) makes a replayed request return the first report. ``progress(report)`` after each batch.
    ``workers``: processes that check the rows (0: checked in this process, as inside a service worker).
    ``cipher`` seals the events' personal data for the bus, ``hasher`` keys the filings' lookups."""
    if request_key is not None:
        done = uow.stock.by_request_key(request_key)
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
    started = now()
    run = StockImport(id=str(uuid.uuid4()), provider_id=provider_id, request_key=request_key, source=source[:250],
                      started_by=actor, started_at=started, deadline=deadline)
    if not uow.stock.start(run):
        message = "this import is already running; wait for its report"
        raise Conflict(message, field_errors(FieldError("Idempotency-Key", "in_progress", message, "W6")))
    uow.commit()
    today = started.astimezone(SHANGHAI).date()
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
        _write_batch(uow, cipher, hasher, now(), run, pending, reject)
        pending.clear()
        run.rejections = list(rejections)
        uow.stock.save(run)
        uow.commit()
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
    run.finished_at = now()
    uow.stock.save(run)
    uow.commit()
    log.info("stock_imported", import_id=run.id, rows=run.rows, imported=run.imported,
             already_imported=run.already_imported, rejected=run.rejected)
    return report(run)


def _write_batch(uow: IntakeUnitOfWork, cipher, hasher, now: datetime, run: StockImport,
                 rows: list[tuple[int, str, dict]], reject) -> None:
    """Store one batch: rows already imported (by filing number) are counted and skipped, a row whose domain is
    already connected under another filing is rejected (P8), the rest become filings, plans, sites and events."""
    if not rows:
        return
    known = uow.stock.planned([number for _, number, _ in rows])
    taken = uow.stock.approved({d["ascii"] for _, _, data in rows for site in data["websites"]
                                for d in site["domains"]})
    filings, versions, timeline, plans, approved, events = [], [], [], [], [], []
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
        lookups = {"responsible_person_document": hasher.digest(
            data["responsible_person"]["document_number"], kind="person_document"),
            "mobile": hasher.digest(data["contacts"]["mobile"], kind="mobile")}
        filings.append({"id": filing_id, "provider_id": run.provider_id, "state": FilingState.APPROVED.value,
                        "version": 1, "approved_version": 1, "attempt": 0, "filing_number": number,
                        "sponsor_kind": sponsor["kind"], "province": sponsor["province"],
                        "person_document_hmac": lookups["responsible_person_document"],
                        "mobile_hmac": lookups["mobile"], "created_by": run.started_by, "created_at": now,
                        "updated_at": now})
        versions.append({"filing_id": filing_id, "version": 1, "submitted_at": None, "data": data})
        timeline.append({"filing_id": filing_id, "at": now, "state": FilingState.APPROVED.value, "version": 1,
                         "actor": run.started_by, "reasons": [],
                         "note": f"imported from the stock (line {line}); on-site re-verification due by "
                                 f"{run.deadline.astimezone(SHANGHAI).date().isoformat()} (W6)"})
        plans.append({"filing_number": number, "filing_id": filing_id, "provider_id": run.provider_id,
                      "import_id": run.id, "line": line, "state": PENDING, "requested_at": now,
                      "deadline": run.deadline, "done_at": None})
        approved += [{"domain": name, "filing_id": filing_id, "website_number": site_number, "approved_at": now}
                     for name, site_number in numbered.items()]
        events.append(make_envelope(REVERIFICATION_REQUESTED, SERVICE, {
            "filing_id": filing_id, "version": 1, "filing_number": number, "provider_id": run.provider_id,
            "province": sponsor["province"], "import_id": run.id, "requested_at": now.isoformat(),
            "deadline": run.deadline.isoformat(),
            **seal({k: data[k] for k in ("sponsor", "responsible_person", "contacts", "websites", "access")},
                   personal_paths(sponsor["kind"]), cipher, SEAL_CONTEXT),
            "lookups": lookups,
        }, filing_id))
    if not filings:
        return
    uow.stock.add_batch(now, filings=filings, versions=versions, timeline=timeline, plans=plans, sites=approved,
                        events=events)
    run.imported += len(filings)
    sites.announce(uow, run.provider_id, sorted(s["domain"] for s in approved), [], run.id, now)


def report(run: StockImport) -> dict:
    return {"import_id": run.id, "source": run.source, "started_by": run.started_by,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "deadline": run.deadline.isoformat(), "rows": run.rows, "imported": run.imported,
            "already_imported": run.already_imported, "rejected": run.rejected,
            "rejections": run.rejections, "rejections_listed": len(run.rejections or [])}


def get_import(uow: IntakeUnitOfWork, provider_id: str, import_id: str) -> dict:
    run = uow.stock.get(import_id) if _is_uuid(import_id) else None
    if run is None or run.provider_id != provider_id:
        raise NotFound("no such import", field_errors(
            FieldError("import_id", "unknown", "No stock import with this id exists for this provider.", "W6")))
    return report(run)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def progress(uow: IntakeUnitOfWork, provider_id: str, at: datetime) -> dict:
    """W6: the provider's re-verification against its plan: done, pending (deadline not passed) and overdue
    (pending past the deadline), in total and per import."""
    imports = [{"import_id": i["import_id"], "planned": i["planned"], "done": i["done"], "overdue": i["overdue"],
                "pending": i["planned"] - i["done"] - i["overdue"], "deadline": i["deadline"].isoformat()}
               for i in uow.stock.progress(provider_id, at)]
    total = {key: sum(i[key] for i in imports) for key in ("planned", "done", "pending", "overdue")}
    return {"provider_id": provider_id, "at": at.isoformat(), **total,
            "imports": sorted(imports, key=lambda i: i["deadline"])}
