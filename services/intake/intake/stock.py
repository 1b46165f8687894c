"""W6: the stock import's command, for files larger than an HTTP request takes (the use case:
:mod:`intake.usecases.stock`).

Command: ``python -m intake.stock FILE.csv [--deadline YYYY-MM-DD] [--batch N] [--workers N] [--config FILE]``
(``-`` reads stdin); the columns are :data:`intake.domain.STOCK_COLUMNS` (lists separated by ``;``). Progress
goes to stderr after each batch, then the rejected lines; the summary is printed to stdout as JSON.
"""

import argparse
import contextlib
import json
import os
import sys
from datetime import date

from sqlalchemy.orm import Session

from intake.repository import IntakeUnitOfWork
from intake.usecases.stock import BATCH, deadline_of, import_stock
from shared.contracts.errors import BadRequest, ValidationFailed


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

    parser = argparse.ArgumentParser(prog="python -m intake.stock",
                                     description="W6: import the stock from CSV and plan its re-verification.")
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
        cipher = crypto.cipher()
        try:
            deadline = deadline_of(Settings.now(), args.deadline, settings.reverification)
            with contextlib.ExitStack() as stack:
                handle = sys.stdin if args.csv == "-" else stack.enter_context(
                    open(args.csv, encoding="utf-8-sig", newline=""))
                result = import_stock(IntakeUnitOfWork(session, cipher), cipher, crypto.hasher(),
                                      settings.provider_id, Settings.now, handle, source=args.csv, actor=args.actor,
                                      deadline=deadline, batch=args.batch, progress=show, workers=args.workers)
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
