"""Notify on PostgreSQL: migrations match the models; phone numbers, addresses and codes are encrypted at rest,
absent from published events, and absent from every log line."""

import json
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from notify.models import Base
from shared.contracts.errors import BadRequest
from shared.platform.migrations import differences

pytestmark = pytest.mark.integration

MOBILE = "13800138000"
EMAIL = "zhangsan@example.com.cn"
CODES = ("482913", "730164", "615207")


@pytest.fixture
def notify_address(web_config):
    """Each test's container serves HTTP on an address of its own (conftest's ``notify_address``)."""
    return web_config["WEB_SERVER_ADDRESS"]


def test_migrations_match_models(database_factory):
    assert differences(database_factory("notify"), Base.metadata) == []


def dump(url: str, table: str) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 (fixed table names)
    engine.dispose()
    return json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)


@pytest.mark.req("W4")
def test_no_phone_number_address_or_code_in_any_log_line_the_database_or_the_bus(
    capsys, start_notify, notify_config, precheck_events, seal, sms_inbox, email_inbox, api, notify_tap, wait_until
):
    start_notify()
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id)
    precheck_events.code(filing_id, "sms", MOBILE, CODES[0])
    precheck_events.code(filing_id, "email", EMAIL, CODES[1])
    precheck_events.outcome(False, filing_id, mobile="12345")  # unreachable: failed and reported
    with ClusterRpcProxy({"AMQP_URI": notify_config["AMQP_URI"]}, timeout=20) as rpc:
        rpc.notify.send_sms(seal(MOBILE, "rpc.recipient"), "contact_code", {"code": seal(CODES[2], "rpc.code")},
                            "k-1", filing_id)
        with pytest.raises(BadRequest):
            rpc.notify.send_email(EMAIL, "contact_code", {"code": CODES[2]}, "k-2", filing_id)

    def all_settled():
        messages = api.get(f"/messages?correlation_id={filing_id}").json()["messages"]
        return len(messages) == 5 and all(m["state"] in ("delivered", "failed") for m in messages)

    wait_until(all_settled)
    assert len(sms_inbox()) == 3 and len(email_inbox()) == 1  # the 'phone' and the 'mailbox' got them
    events = notify_tap.wait_for(5)
    assert len(events) == 5

    secrets = (MOBILE, EMAIL, *CODES)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert any('"message_delivered"' in line for line in lines), "the service logged nothing"
    for line in lines:
        json.loads(line)
        for value in secrets:
            assert value not in line
    stored = dump(notify_config["DB_URL"], "messages") + dump(notify_config["DB_URL"], "outbox")
    stored += dump(notify_config["DB_URL"], "delivery_attempts")
    bus = json.dumps(events, ensure_ascii=False)
    view = api.get(f"/messages?correlation_id={filing_id}").text
    for value in secrets:
        assert value not in stored and value not in bus and value not in view
