"""What every service's entrypoints do the same way: answering a POST once per ``Idempotency-Key`` (scoped to
the verified caller, :mod:`shared.platform.auth`), and reading an event envelope against its contract.
"""
import structlog
from sqlalchemy import Table
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from shared.contracts import EVENTS
from shared.contracts.errors import BadRequest, FieldError, field_errors
from shared.contracts.registry import InvalidEvent
from shared.platform.events import PoisonEvent
from shared.platform.http import json_response
from shared.platform.idempotency import IDEMPOTENCY_HEADER, check_key, request_hash, run_once

log = structlog.get_logger(__name__)

ACTOR_HEADER = "X-Actor"
MAX_ACTOR = 120


def actor_of(request: Request, default: str = "sponsor") -> str:
    """The caller as it names itself in ``X-Actor``: only for services not yet behind a
    :class:`shared.platform.auth.Guard` (issue 8), whose verified ``caller.actor`` replaces it."""
    actor = (request.headers.get(ACTOR_HEADER) or default).strip()
    if len(actor) > MAX_ACTOR or not actor.isprintable():
        raise BadRequest(
            f"{ACTOR_HEADER} is invalid",
            field_errors(FieldError(ACTOR_HEADER, "format", f"At most {MAX_ACTOR} printable characters.", "API")),
        )
    return actor


def answer_once(session: Session, keys: Table, request: Request, action, status: int = 200, *,
                actor: str | None = None) -> Response:
    """Run ``action(actor) -> body`` once per ``Idempotency-Key`` (scoped to the ``actor``: the verified caller
    of a guarded service, so one caller can never replay another's answer), commit it with the stored answer,
    and answer replays of the same request from the store."""
    actor = actor or actor_of(request)
    key = check_key(request.headers.get(IDEMPOTENCY_HEADER))
    req_hash = request_hash(request.method, request.full_path, request.get_data(cache=True))
    code, body = run_once(session, keys, f"{actor}:{key}", req_hash, lambda _session: (status, action(actor)))
    return json_response(code, body)


def read_event(envelope: dict) -> dict:
    """The envelope's data as its contract reads it; ``PoisonEvent`` for an envelope that can never be valid,
    so that the bounded handler dead-letters it at once (retrying cannot help) for ops to see."""
    try:
        return EVENTS.load(envelope)
    except InvalidEvent as exc:
        log.error("event_rejected", event_type=exc.event_type, errors=exc.errors)
        raise PoisonEvent(f"{exc.event_type} breaks its contract") from None
