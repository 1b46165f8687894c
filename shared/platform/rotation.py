"""Key rotation for personal data at rest (issue 8, design.md §5): re-encrypt every field made with an older
``FIELD_KEYS`` version under ``FIELD_KEY_CURRENT``.

Rotation is three deployments: add the new key to FIELD_KEYS everywhere (every replica can read it); switch
FIELD_KEY_CURRENT to it (new data uses it, old data still reads); run this job, after which no row needs the old
key and it can be removed. The job is idempotent and resumable: a field already current is left alone, each
batch commits on its own, and running it twice changes nothing the second time.

Each service names its encrypted columns in ``<service>/rotation.py`` as ``SEALED`` (its own decision, design.md
§2); ``icp-rotate-keys SERVICE`` runs the job with the service's own config.yaml (its DB_URL and keys)::

    FIELD_KEYS=1:...,2:... FIELD_KEY_CURRENT=2 INTAKE_DB_URL=... icp-rotate-keys intake
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Table, and_, create_engine, func, select, update
from sqlalchemy.engine import Engine

from shared.contracts.intake import personal_paths
from shared.platform.crypto import CryptoConfig, FieldCipher
from shared.platform.progress import Progress
from shared.platform.sealing import reseal

BATCH = 500


@dataclass(frozen=True)
class Sealed:
    """One column holding personal data: ``rotate(cipher, value) -> value`` re-encrypts what is old; ``where``
    limits the rows (e.g. a text column sealed only for some rows)."""

    table: Table
    column: str
    rotate: Callable[[FieldCipher, Any], Any]
    where: Any = None

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


def token_column(table: Table, column: str, context: str, where=None) -> Sealed:
    """A column holding one :class:`FieldCipher` token made for ``context``."""
    return Sealed(table, column, lambda cipher, value: cipher.rotate(value, context=context) if value else value,
                  where)


def sealed_json(table: Table, column: str, paths: Iterable[str], context: str) -> Sealed:
    """A JSON column whose ``paths`` are sealed with :func:`shared.platform.sealing.seal` under ``context``."""
    paths = tuple(paths)
    return Sealed(table, column, lambda cipher, value: reseal(value, paths, cipher, context) if value else value)


def sealed_filing(table: Table, column: str, context: str) -> Sealed:
    """A JSON column holding a filing sealed with :func:`shared.platform.sealing.seal` under ``context``, over the
    personal paths of its own sponsor's kind (a unit's name is public, an individual's is not)."""
    return Sealed(table, column, lambda cipher, value: reseal(
        value, personal_paths(value["sponsor"]["kind"]), cipher, context) if value else value)


def json_tokens(table: Table, column: str, keys: Iterable[str], context: str) -> Sealed:
    """A JSON column holding an object, or a list of objects, whose ``keys`` each hold one :class:`FieldCipher`
    token made for ``context`` (a sealed value kept beside plain ones: who corrected what, who signed)."""
    keys = frozenset(keys)

    def rotate(cipher: FieldCipher, value):
        def one(item: dict) -> dict:
            return {k: cipher.rotate(v, context=context) if k in keys and isinstance(v, str) else v
                    for k, v in item.items()}

        if not value:
            return value
        return [one(item) for item in value] if isinstance(value, list) else one(value)

    return Sealed(table, column, rotate)


def rotate_keys(engine: Engine, cipher: FieldCipher, columns: Iterable[Sealed], batch: int = BATCH,
                progress_to: TextIO | None = None) -> dict[str, int]:
    """Re-encrypt every listed column under ``cipher.current``; ``{"table.column": rows changed}``. With
    ``progress_to``, each column's rows read so far, rate and time left are shown there after each batch."""
    changed: dict[str, int] = {}
    for sealed in columns:
        table, keys = sealed.table, list(sealed.table.primary_key.columns)
        value_column = table.c[sealed.column]
        count, offset = 0, 0
        progress = Progress(sealed.name, _rows(engine, sealed) if progress_to else None, stream=progress_to)
        while True:
            query = select(*keys, value_column).order_by(*keys).limit(batch).offset(offset)
            if sealed.where is not None:
                query = query.where(sealed.where)
            with engine.begin() as connection:
                rows = connection.execute(query).all()
                for row in rows:
                    old = row[-1]
                    new = sealed.rotate(cipher, old)
                    if new != old:
                        match = and_(*(key == value for key, value in zip(keys, row[:-1], strict=True)))
                        connection.execute(update(table).where(match).values({sealed.column: new}))
                        count += 1
            progress.advance(len(rows), f"{count} re-encrypted")
            if len(rows) < batch:
                break
            offset += batch
        progress.close()
        changed[sealed.name] = count
    return changed


def _rows(engine: Engine, sealed: Sealed) -> int:
    query = select(func.count()).select_from(sealed.table)
    if sealed.where is not None:
        query = query.where(sealed.where)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def main(argv: list[str] | None = None) -> int:
    """``icp-rotate-keys SERVICE [--config PATH]``: re-encrypt SERVICE's personal data under FIELD_KEY_CURRENT
    (progress on stderr, the counts on stdout)."""
    parser = argparse.ArgumentParser(prog="icp-rotate-keys", description=main.__doc__)
    parser.add_argument("service")
    parser.add_argument("--config", type=Path, help="default: services/SERVICE/config.yaml")
    args = parser.parse_args(argv)
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    path = args.config or Path("services") / args.service / "config.yaml"
    with path.open() as stream:
        config = yaml.safe_load(stream) or {}
    columns = importlib.import_module(f"{args.service}.rotation").SEALED
    engine = create_engine(config["DB_URL"])
    try:
        changed = rotate_keys(engine, CryptoConfig.from_config(config).cipher(), columns, progress_to=sys.stderr)
    finally:
        engine.dispose()
    for name, count in changed.items():
        print(f"{name}: {count} re-encrypted")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
