"""Every service's ``idempotency_keys`` table on PostgreSQL, at its migration head, takes the longest scoped key
(issue 17 point 4): the longest caller (``Principal.actor`` keeps 120 characters; the bureau's ``bureau:京:<subject>``
is not cut at all) with the longest ``Idempotency-Key`` (128 characters) answers once and replays."""
import importlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from shared.platform.db import make_engine
from shared.platform.entrypoints import answer_once
from shared.platform.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, request_hash

pytestmark = pytest.mark.integration

# notify takes no POST: its RPC keys are not Idempotency-Keys.
SERVICES = ["intake", "precheck", "verification", "bureau", "audit"]
KEY = "k" * MAX_KEY_LENGTH
SPONSOR = "sponsor:" + "a" * 64
LONGEST = "supervisor:" + "s" * 200


def post(key: str, body: bytes = b'{"a": 1}'):
    return EnvironBuilder(method="POST", path="/things", data=body,
                          headers={IDEMPOTENCY_HEADER: key}).get_request()


@pytest.fixture(params=SERVICES)
def keyed(request, database_factory):
    """(session, idempotency_keys table) of one service's database."""
    table = importlib.import_module(f"{request.param}.models").idempotency_keys
    engine = make_engine(database_factory(request.param))
    with Session(engine) as session:
        yield session, table
    engine.dispose()


@pytest.mark.parametrize("actor", [SPONSOR, LONGEST], ids=["sponsor", "longest"])
def test_the_longest_scoped_key_answers_once(keyed, actor):
    session, table = keyed
    runs = []

    def action(caller):
        runs.append(caller)
        return {"run": len(runs)}

    first = answer_once(session, table, post(KEY), actor, action, 201)
    replay = answer_once(session, table, post(KEY), actor, action, 201)
    other = answer_once(session, table, post(KEY), "ops:o1", action, 201)  # another caller's scope
    assert (first.status_code, first.json) == (201, {"run": 1})
    assert (replay.status_code, replay.json) == (201, {"run": 1})
    assert other.json == {"run": 2} and runs == [actor, "ops:o1"]
    assert {len(key) for key in session.scalars(select(table.c.key))} == {64}


def test_a_row_stored_before_the_digest_still_answers(keyed):
    session, table = keyed
    request = post("older-key")
    session.execute(insert(table).values(
        key="ops:o1:older-key", request_hash=request_hash("POST", request.full_path, request.get_data()),
        status=201, body={"run": 0}, created_at=datetime(2026, 11, 10, tzinfo=UTC)))
    session.commit()
    replay = answer_once(session, table, request, "ops:o1", lambda _caller: pytest.fail("ran again"), 201)
    assert replay.json == {"run": 0}
