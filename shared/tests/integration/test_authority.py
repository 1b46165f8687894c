"""The authoritative sources (P5, P9): the sandbox answers from its data file; the HTTP adapter against a local
gateway on loopback that answers, fails, times out; "unavailable" is never a pass."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.platform.authority import Outcome, authorities_from_config, sandbox_authorities
from shared.testing.samples import RESIDENT_ID, SECOND_RESIDENT_ID, uscc

pytestmark = [pytest.mark.integration, pytest.mark.req("P5"), pytest.mark.req("P9")]


def test_the_shipped_sandbox_knows_the_sample_people_and_units():
    sources = authorities_from_config({})
    assert sources.public_security.verify_person("张三", RESIDENT_ID).outcome is Outcome.MATCH
    assert sources.public_security.verify_person("张三", SECOND_RESIDENT_ID).outcome is Outcome.MISMATCH
    assert sources.public_security.verify_person("王五", "310104199001011233").outcome is Outcome.INVALID
    assert sources.public_security.verify_person("赵六", "11010519491231003X").outcome is Outcome.NOT_FOUND
    unit = sources.business_registry.lookup(uscc())
    assert unit.passed and unit.record["legal_representative"] == "张三"
    assert sources.business_registry.lookup("91110108MA01C3H85P").outcome is Outcome.INVALID
    assert sources.organisation_codes.lookup(uscc()[8:17]).passed


def test_bulk_answers_keep_their_order():
    people = sandbox_authorities({"people": {RESIDENT_ID: {"name": "张三", "status": "valid"}}}).public_security
    answers = people.verify_people([("张三", RESIDENT_ID), ("李四", RESIDENT_ID), ("李四", SECOND_RESIDENT_ID)])
    assert [a.outcome for a in answers] == [Outcome.MATCH, Outcome.MISMATCH, Outcome.NOT_FOUND]


class Gateway(BaseHTTPRequestHandler):
    script: list = []
    calls: list = []

    def _answer(self):
        self.calls.append(self.path)
        step = self.script.pop(0) if self.script else 200
        if step == "sleep":
            time.sleep(0.5)
            step = 200
        if step != 200:
            self.send_response(step)
            self.end_headers()
            return
        if self.path.startswith("/people/verify"):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            results = [{"outcome": "match" if p["name"] == "张三" else "mismatch", "record": {"status": "valid"}}
                       for p in body["people"]]
            payload = {"results": results}
        else:
            payload = {"outcome": "match", "record": {"name": "北京示例网络科技有限公司", "status": "valid"}}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.script, Gateway.calls = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield url
    server.shutdown()
    server.server_close()


def http_sources(url, retries=2):
    return authorities_from_config({"AUTHORITY_MODE": "http", "PUBLIC_SECURITY_URL": url, "ORGANISATION_CODES_URL": url,
                                    "BUSINESS_REGISTRY_URL": url, "AUTHORITY_TIMEOUT": "0.2",
                                    "AUTHORITY_RETRIES": str(retries), "AUTHORITY_BACKOFF": "0.01"})


def test_http_source_answers_and_retries_a_failure_and_a_timeout(gateway):
    Gateway.script = [503, "sleep"]
    answer = http_sources(gateway).public_security.verify_person("张三", RESIDENT_ID)
    assert answer.outcome is Outcome.MATCH
    assert len(Gateway.calls) == 3
    assert http_sources(gateway).business_registry.lookup(uscc()).record["status"] == "valid"


def test_a_source_that_keeps_failing_is_unavailable_never_a_pass(gateway):
    Gateway.script = [500, 502, 503]
    answer = http_sources(gateway).public_security.verify_person("张三", RESIDENT_ID)
    assert answer.outcome is Outcome.UNAVAILABLE and not answer.passed
    assert len(Gateway.calls) == 3
    closed = http_sources("http://127.0.0.1:9", retries=0).business_registry.lookup(uscc())
    assert closed.outcome is Outcome.UNAVAILABLE


def test_http_mode_needs_its_urls():
    with pytest.raises(ValueError, match="PUBLIC_SECURITY_URL"):
        authorities_from_config({"AUTHORITY_MODE": "http"})
