"""Bring intake's stored typed values to the form it keeps since issue 17, and recompute their lookups.

Until issue 17 a draft was stored as typed (``１１０１…ｘ``, ``＋８６ １３８…``): since then every value is
normalised once at the edge (``domain.normalise_typed``) and that form is what is stored, masked, indexed and
compared. This job re-normalises every stored filing version and recomputes each submitted filing's lookups
(``person_document_hmac``, ``mobile_hmac``) from the canonical values of its last submitted version, as
``usecases.submit`` computes them.

Personal fields are sealed with ``FIELD_KEYS`` and lookups keyed with ``LOOKUP_KEY``, so the job needs the
service's keys. Alembic migration 0006 runs it, with the keys from the migration step's environment (the same
``FIELD_KEYS``, ``FIELD_KEY_CURRENT``, ``LOOKUP_KEY`` and ``ALLOW_DEV_KEYS`` as the service: the Kubernetes Job
and the compose service pass them); a database without filings needs no keys. It can also be run on its own
with the service's config.yaml::

    FIELD_KEYS=1:... LOOKUP_KEY=... INTAKE_DB_URL=... python -m intake.normalise

It is idempotent: a version already in normal form is not rewritten and a second run changes nothing. Each
batch of versions is written in the caller's transaction (the migration's, or one per run on its own).
"""

import argparse
import json
import os
import sys
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from intake import domain
from intake.models import Filing, FilingVersion
from intake.repository import ALL_PERSONAL_PATHS, STORE_CONTEXT
from shared.kernel.contacts import normalise_typed_contact, validate_mobile
from shared.kernel.documents import validate_person_document
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import normalise_typed_number
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal, unseal

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 500


def lookup_values(data: dict, today: date) -> tuple[str | None, str | None]:
    """``(responsible person's document number, mobile)`` as a submission keys its lookups: the validators'
    canonical form, or the typed normal form of a value that is no longer valid (a birth date rule changed)."""
    person = data.get("responsible_person") or {}
    mobile = (data.get("contacts") or {}).get("mobile")
    try:
        number = validate_person_document(person.get("document_type") or "", person["document_number"], today)
    except (InvalidValue, KeyError, TypeError, AttributeError):
        number = normalise_typed_number(person["document_number"]) if person.get("document_number") else None
    try:
        phone = validate_mobile(mobile)
    except (InvalidValue, TypeError, AttributeError):
        phone = normalise_typed_contact(mobile) if isinstance(mobile, str) and mobile else None
    return number, phone


def normalise_stored(connection: Connection, crypto: CryptoConfig, today: date) -> dict[str, int]:
    """Re-normalise every stored filing version and recompute the lookups of every submitted filing, in the
    caller's transaction; returns the counts of rows rewritten (``versions``, ``filings``)."""
    cipher, hasher, paths = crypto.cipher(), crypto.hasher(), ALL_PERSONAL_PATHS
    versions = filings = 0
    last = 0
    while True:
        rows = connection.execute(
            select(FilingVersion.id, FilingVersion.data).where(FilingVersion.id > last)
            .order_by(FilingVersion.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            data = _json(row.data)
            plain = unseal(data, paths, cipher, STORE_CONTEXT)
            typed = domain.normalise_typed(plain)
            if typed != plain:
                connection.execute(update(FilingVersion).where(FilingVersion.id == row.id)
                                   .values(data=seal(typed, paths, cipher, STORE_CONTEXT)))
                versions += 1
    submitted = connection.execute(
        select(Filing.id, Filing.person_document_hmac, Filing.mobile_hmac)
        .where((Filing.person_document_hmac.is_not(None)) | (Filing.mobile_hmac.is_not(None)))
    ).all()
    for filing in submitted:
        version = connection.execute(
            select(FilingVersion.data).where(FilingVersion.filing_id == filing.id,
                                             FilingVersion.submitted_at.is_not(None))
            .order_by(FilingVersion.version.desc()).limit(1)
        ).scalar_one_or_none()
        if version is None:
            continue
        number, mobile = lookup_values(unseal(_json(version), paths, cipher, STORE_CONTEXT), today)
        lookups = {"person_document_hmac": hasher.digest(number, kind="person_document") if number else None,
                   "mobile_hmac": hasher.digest(mobile, kind="mobile") if mobile else None}
        if lookups != {"person_document_hmac": filing.person_document_hmac, "mobile_hmac": filing.mobile_hmac}:
            connection.execute(update(Filing).where(Filing.id == filing.id).values(**lookups))
            filings += 1
    return {"versions": versions, "filings": filings}


def _json(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def run_in_migration(connection: Connection, config: Mapping[str, Any] = os.environ) -> dict[str, int]:
    """Migration 0006's step: nothing to do (and no keys needed) without stored filing versions; otherwise
    ``normalise_stored`` with the keys in ``config`` (the migration step's environment)."""
    if connection.execute(select(FilingVersion.id).limit(1)).first() is None:
        return {"versions": 0, "filings": 0}
    return normalise_stored(connection, CryptoConfig.from_config(config), datetime.now(SHANGHAI).date())


def main(argv: list[str] | None = None) -> int:
    from intake.stock import _config
    from shared.platform.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m intake.normalise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="services/intake/config.yaml")
    args = parser.parse_args(argv)
    config = _config(args.config)
    engine = make_engine(config["DB_URL"], pool_size=1)
    with engine.begin() as connection:
        counts = run_in_migration(connection, config)
    engine.dispose()
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
