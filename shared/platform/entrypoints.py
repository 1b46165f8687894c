"""What every service's entrypoints do the same way: answering a POST once per ``Idempotency-Key`` (scoped to
the verified caller, :mod:`shared.platform.auth`), and reading an event envelope against its contract.
"""
import structlog
from sqlalchemy import Table
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from shared.contracts import EVENTS
from shared.contracts.registry import InvalidEvent
from shared.platform.events import PoisonEvent
from shared.platform.http import json_response
from shared.platform.idempotency import IDEMPOTENCY_HEADER, check_key, request_hash, run_once

log = structlog.get_logger(__name__)

def answer_once(session: Session, keys: Table, request: Request, actor: str, action, status: int = 200) -> Response:
    """Run ``action(actor) -> body`` once per ``Idempotency-Key`` (scoped to the verified ``actor``, so one
    caller can never replay another's answer), commit it with the stored answer, and answer replays of the same
    request from the store."""
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
