"""The audit service over the real RabbitMQ and PostgreSQL: every lifecycle event lands in the hash-chained trail,
tampering is located, and an approved filing whose ID public security rejects raises exactly one finding (P9)."""
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from shared.contracts import EVENTS
from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.bureau import FILING_APPROVED
from shared.testing.samples import RESIDENT_ID, resident_id

pytestmark = pytest.mark.service

UNKNOWN_ID = resident_id("11010519800101001")  # valid by GB 11643, unknown to the sandbox's public security


def _wait(probe, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError("condition not reached")


def _count(engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


@pytest.mark.req("P9")
def test_every_registered_event_type_has_a_trail_handler(audit):
    handlers = {ep.event_type for ep in audit.entrypoints if hasattr(ep, "event_type")}
    assert {contract.type for contract in EVENTS} <= handlers


@pytest.mark.req("P9")
def test_events_are_chained_and_a_changed_entry_is_named(api, send, engine, audit_config):
    for contract in list(EVENTS)[:6]:
        send(contract.producer, contract.type, contract.sample, "filing-1")
    send(list(EVENTS)[0].producer, list(EVENTS)[0].type, list(EVENTS)[0].sample, "filing-1",
         event_id="5b2d7c4e-0000-4000-8000-000000000001")
    _wait(lambda: _count(engine, "SELECT count(*) FROM trail_entries") == 7)
    assert api.get("/trail/verification").json() == {"checked": 7, "intact": True, "first_broken": None}

    with engine.begin() as connection:
        victim = connection.execute(text("SELECT seq, event_id FROM trail_entries ORDER BY seq LIMIT 1 OFFSET 3")).one()
        connection.execute(text("UPDATE trail_entries SET correlation_id = 'other' WHERE seq = :s"), {"s": victim.seq})
    answer = api.get("/trail/verification").json()
    assert answer["intact"] is False
    assert answer["first_broken"] == {"seq": victim.seq, "event_id": victim.event_id, "problem": "hash_mismatch"}

    command = subprocess.run([sys.executable, "-m", "audit.cli", "verify-trail", "--db-url", audit_config["DB_URL"]],
                             capture_output=True, text=True, timeout=60)
    assert command.returncode == 1
    assert victim.event_id in command.stdout


@pytest.mark.req("P9")
def test_an_id_public_security_rejects_raises_exactly_one_finding(approve, send, audit_tap, engine):
    data, envelope = approve(person={"document_number": UNKNOWN_ID, "name": "赵六"})
    send("bureau", FILING_APPROVED, data, data["filing_id"], event_id=envelope["meta"]["id"])  # redelivered
    good, _ = approve(person={"document_number": RESIDENT_ID, "name": "张三"})
    _wait(lambda: _count(engine, "SELECT count(*) FROM check_results") == 2)
    events: list[dict] = []
    _wait(lambda: events.extend(audit_tap.drain(timeout=0.2)) or events)
    time.sleep(2.0)  # the duplicate is requeued once if it raced the original: let a wrong second finding arrive
    events += audit_tap.drain(timeout=0.5)
    findings = [e for e in events if e["meta"]["type"] == AUDIT_FINDING_RAISED]
    assert len(findings) == 1
    EVENTS.validate_outgoing(findings[0])
    finding = findings[0]["data"]
    assert finding["filing_id"] == data["filing_id"]
    assert finding["check"] == "id_check" and finding["rules_version"] == "2026.1"
    assert finding["reasons"][0]["code"] == "authority_not_found"
    assert UNKNOWN_ID not in str(findings[0])
    with engine.connect() as connection:
        outcomes = dict(connection.execute(text(
            "SELECT s.filing_id, r.outcome FROM check_results r JOIN stock s ON s.pk = r.stock_pk")).all())
        stored = connection.execute(text("SELECT * FROM stock")).all()
        trail = connection.execute(text("SELECT * FROM trail_entries")).all()
    assert outcomes == {data["filing_id"]: "fail", good["filing_id"]: "pass"}
    assert UNKNOWN_ID not in str(stored) and "赵六" not in str(stored)
    assert UNKNOWN_ID not in str(trail) and "赵六" not in str(trail)  # the trail keeps the sealed envelope
    assert _count(engine, f"SELECT count(*) FROM trail_entries WHERE event_type = '{FILING_APPROVED}'") == 2
