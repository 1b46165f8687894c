"""Operator commands of the audit service (run with the service's settings in the environment):

- ``python -m audit.cli verify-trail``: check the audit trail's hash chain; prints the first broken entry (its
  ``seq`` and event id) and exits 1, or exits 0 when intact;
- ``python -m audit.cli check-stock``: the batch ID check of the whole stock (``audit.bulk``); prints the run (and
  each phase as it ends on stderr).

The database is ``AUDIT_DB_URL`` (or ``--db-url``); keys are ``FIELD_KEYS``/``FIELD_KEY_CURRENT`` as for the
service; the rules are ``AUDIT_RULES``.
"""

import argparse
import json
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from audit.bulk import check_stock
from audit.domain import shipped_rules
from audit.repository import AuditUnitOfWork
from audit.usecases.trail import verify_trail as verify_chain
from shared.platform.crypto import CryptoConfig
from shared.platform.db import make_engine

DEFAULT_DB_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/audit"


def verify_trail(url: str) -> int:
    engine = make_engine(url, pool_size=1)
    with Session(engine) as session:
        result = verify_chain(AuditUnitOfWork(session))
    engine.dispose()
    print(json.dumps(result))
    return 0 if result["intact"] else 1


def run_check_stock(url: str) -> int:
    import psycopg2

    config = CryptoConfig.from_config(os.environ)
    rules = shipped_rules(os.environ.get("AUDIT_RULES") or "2026.1")
    parsed = make_url(url)
    connection = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                  password=parsed.password, dbname=parsed.database)
    try:
        print(json.dumps(check_stock(connection, config.field_keys, config.cipher(), rules, progress_to=sys.stderr)))
    finally:
        connection.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["verify-trail", "check-stock"])
    parser.add_argument("--db-url", default=os.environ.get("AUDIT_DB_URL", DEFAULT_DB_URL))
    args = parser.parse_args(argv)
    if args.command == "verify-trail":
        return verify_trail(args.db_url)
    return run_check_stock(args.db_url)


if __name__ == "__main__":
    sys.exit(main())
