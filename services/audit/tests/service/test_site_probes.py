"""X5 over the real RabbitMQ and PostgreSQL, against a DNS server and web servers on loopback
(shared.testing.websites): intake's approved-sites list reaches audit as events; the check (``POST
/shell-sites/checks``) resolves each approved domain through the configured nameserver (CNAMEs followed, the CDN
range counting as the provider's) and asks HEAD; a site whose domain moves out of the ranges raises one finding
after the configured days and closes it when it moves back; a site that does not answer raises a finding. The
clock is set (audit's settings read the test's clock), never waited for."""
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from shared.contracts import EVENTS
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.testing.clock import Clock, service_clock
from shared.testing.websites import LoopbackDns, LoopbackWeb

pytestmark = [pytest.mark.service, pytest.mark.clock, pytest.mark.req("X5")]

PROVIDER = "provider-a"
AWAY = "198.51.100.7"  # documentation range: outside every configured range, never contacted


@pytest.fixture(scope="module")
def world():
    records = {"www.example.cn": {"A": ["127.0.0.1"]},
               "cdn.example.cn": {"CNAME": ["node.cdn-edge.test."]}, "node.cdn-edge.test": {"A": ["127.0.1.1"]},
               "dead.example.cn": {"A": ["127.0.0.9"]}}  # the provider's range, nothing listens there
    with LoopbackDns(records) as dns, LoopbackWeb(["127.0.0.1", "127.0.1.1"]) as web:
        yield dns, web


@pytest.fixture(scope="module")
def audit_config(run_vhost, run_database, module_web_config, world):
    """This module's audit probes provider-a's sites (127.0.0.0/24, the CDN's 127.0.1.0/24) through the loopback
    nameserver, HEAD on the loopback web servers' port, a site failing 2 days before it is a finding."""
    dns, web = world
    return {**run_vhost, **module_web_config, "DB_URL": run_database("audit"),
            "AUDIT_PROVIDER_RANGES": f"{PROVIDER}=127.0.0.0/24", "AUDIT_CDN_RANGES": "127.0.1.0/24",
            "AUDIT_SHELL_SITE_NAMESERVERS": dns.address, "AUDIT_SHELL_SITE_HTTP_PORT": str(web.port),
            "AUDIT_SHELL_SITE_TIMEOUT": "1", "AUDIT_SHELL_SITE_FAILING_DAYS": "2",
            "AUDIT_SHELL_SITE_RECTIFY_DAYS": "15"}


def _approved(engine, count: int) -> bool:
    """Whether audit has applied the approved-sites event (it arrives asynchronously)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM approved_sites WHERE present")).scalar() == count:
                return True
        time.sleep(0.1)
    return False


def test_a_site_moving_out_and_back_and_a_site_not_answering(api, send, audit, audit_tap, engine, world):
    dns, _web = world
    clock = Clock()
    with service_clock(audit, clock):
        send("intake", APPROVED_SITES_CHANGED, {
            "provider_id": PROVIDER, "revision": 1, "changed_at": clock.iso(),
            "added": ["www.example.cn", "cdn.example.cn", "dead.example.cn"], "removed": [], "count": 3}, "sites-1")
        assert _approved(engine, 3)

        def check(**after) -> dict:
            clock.advance(**after)
            return api.post("/shell-sites/checks").json()

        assert check() == {"found": 0, "cleared": 0}  # day 0: dead.example.cn starts failing
        dns.set("www.example.cn", A=[AWAY])
        assert check(days=1) == {"found": 0, "cleared": 0}  # www.example.cn starts failing
        assert check(days=1) == {"found": 1, "cleared": 0}  # dead.example.cn: 2 days without an answer
        assert check(days=1) == {"found": 1, "cleared": 0}  # www.example.cn: 2 days outside the ranges
        assert check(hours=1) == {"found": 0, "cleared": 0}  # one finding each, not one per round
        dns.set("www.example.cn", A=["127.0.0.1"])
        assert check(hours=1) == {"found": 0, "cleared": 1}

    events = audit_tap.wait_for(3)
    for envelope in events:
        EVENTS.validate_outgoing(envelope)
    found = {e["data"]["domain"]: e["data"] for e in events if e["meta"]["type"] == SHELL_SITE_FOUND}
    [cleared] = [e["data"] for e in events if e["meta"]["type"] == SHELL_SITE_CLEARED]
    assert (found["dead.example.cn"]["reason"], found["dead.example.cn"]["addresses"]) == ("no_answer", ["127.0.0.9"])
    assert (found["www.example.cn"]["reason"], found["www.example.cn"]["addresses"]) == ("resolves_outside", [AWAY])
    assert (cleared["finding_id"], cleared["reason"]) == (found["www.example.cn"]["finding_id"], "resolves_again")
    report = api.get(f"/providers/{PROVIDER}/shell-sites").json()
    assert report["open"] == 1 and [f["domain"] for f in report["findings"]] == ["dead.example.cn", "www.example.cn"]
    dead = report["findings"][0]
    assert dead["rectify_by"] == found["dead.example.cn"]["rectify_by"]
    assert datetime.fromisoformat(dead["rectify_by"]) - datetime.fromisoformat(dead["found_at"]) == timedelta(days=15)
