"""Idempotency for consumers and for HTTP POSTs (design.md §4; DEVELOPERS: replays create nothing new).

Consumer side: ``claim_event`` records ``(event id, handler)`` in the same transaction as the handler's
effect; a redelivered event finds its row and the handler skips it.

HTTP side: every POST carries an ``Idempotency-Key``. The first answer is stored, in the same transaction
as the effect, under the key together with a hash of the request; a replay with the same request gets the
stored answer back, a replay with a different request is refused. Two concurrent first requests race on
the primary key: the loser's transaction rolls back and it returns the winner's answer.

The row's key is the SHA-256 digest of the scoped key (``role:subject:Idempotency-Key``), not the scoped key
itself: a client may send 128 characters and its scope adds up to 121 more (a sponsor's is ``sponsor:`` and a
64-character HMAC), so no fixed column holds every scoped key, while the digest always has 64 characters and
fits the existing 128-character column of every service without a migration (issue 17). Rows stored before
the digest, under the scoped key itself, still answer their replays.
"""

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.contracts.errors import BadRequest, Conflict, FieldError, field_errors
from shared.platform.db import UtcDateTime

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(120), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )


def claim_event(session: Session, table: Table, event_id: str, handler: str) -> bool:
    """True the first time ``handler`` sees ``event_id`` in this transaction's view; False for a replay."""
    seen = session.execute(
        select(table.c.event_id).where(table.c.event_id == event_id, table.c.handler == handler)
    ).first()
    if seen:
        return False
    session.execute(table.insert().values(event_id=event_id, handler=handler, processed_at=datetime.now(UTC)))
    return True


def idempotency_keys_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise BadRequest(
            f"every POST needs an {IDEMPOTENCY_HEADER} header",
            field_errors(FieldError(IDEMPOTENCY_HEADER, "required", "Send a unique key per request.", "API")),
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(
            f"{IDEMPOTENCY_HEADER} is invalid",
            field_errors(
                FieldError(
                    IDEMPOTENCY_HEADER, "format", f"At most {MAX_KEY_LENGTH} printable characters.", "API",
                    {"limit": MAX_KEY_LENGTH}
                )
            ),
        )
    return key.strip()


def stored_key(key: str) -> str:
    """What the row stores for the scoped ``key``: its SHA-256 digest (64 hex characters, see above)."""
    return hashlib.sha256(key.encode()).hexdigest()


def stored_answer(session: Session, table: Table, key: str, req_hash: str) -> tuple[int, dict] | None:
    # A row stored before the digest has the scoped key itself, which never has 64 hex characters (it holds ':').
    candidates = [stored_key(key)] + ([key] if len(key) <= MAX_KEY_LENGTH else [])
    row = session.execute(select(table).where(table.c.key.in_(candidates))).mappings().first()
    if row is None:
        return None
    if row["request_hash"] != req_hash:
        raise Conflict(
            f"{IDEMPOTENCY_HEADER} was already used for a different request",
            field_errors(
                FieldError(IDEMPOTENCY_HEADER, "reused", "Use a new key for a different request.", "API")
            ),
        )
    return row["status"], row["body"]


def run_once(session: Session, table: Table, key: str, req_hash: str, action) -> tuple[int, dict]:
    """Run ``action(session) -> (status, body)`` once per key and commit it with the stored answer.

    ``action`` must not commit. Errors raised by ``action`` roll back and store nothing, so a corrected
    request may reuse the key.
    """
    answer = stored_answer(session, table, key, req_hash)
    if answer is not None:
        return answer
    try:
        status, body = action(session)
        session.execute(
            table.insert().values(
                key=stored_key(key),
                request_hash=req_hash,
                status=status,
                body=json.loads(json.dumps(body)),
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        answer = stored_answer(session, table, key, req_hash)
        if answer is None:
            raise
        return answer
    except Exception:
        session.rollback()
        raise
    return status, body
