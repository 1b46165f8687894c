"""P5 domain owner by RDAP and WHOIS against local servers on loopback: matching owner, different owner,
redacted, timeout, and WHOIS when RDAP has no answer."""
import socket
import time

import pytest

from verification.domain import OwnerOutcome
from verification.registrar import Registrar, parse_servers

pytestmark = pytest.mark.integration

SPONSOR = "北京示例网络科技有限公司"


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers (a registry that hangs)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.mark.req("P5")
@pytest.mark.parametrize("protocol", ["rdap", "whois"])
@pytest.mark.parametrize("domain, outcome", [
    ("example.com.cn", OwnerOutcome.MATCH),
    ("other-owner.cn", OwnerOutcome.MISMATCH),
    ("redacted.cn", OwnerOutcome.REDACTED),
    ("unknown-domain.cn", OwnerOutcome.NOT_FOUND),
])
def test_owner_by_protocol(registry_server, protocol, domain, outcome):
    servers = {"*": registry_server[protocol]}
    registrar = Registrar(servers if protocol == "rdap" else {}, servers if protocol == "whois" else {}, timeout=2)
    lookup = registrar.lookup(domain)
    assert lookup.protocol == protocol and lookup.raw  # the raw answer is kept as evidence
    assert lookup.outcome(SPONSOR) is outcome


@pytest.mark.req("P5")
def test_a_hanging_registry_times_out_as_unavailable(silent_port):
    registrar = Registrar({"cn": f"http://127.0.0.1:{silent_port}"}, {"cn": f"127.0.0.1:{silent_port}"},
                          timeout=0.5, retries=1, backoff=0.05)
    started = time.monotonic()
    lookup = registrar.lookup("example.com.cn")
    assert lookup.outcome(SPONSOR) is OwnerOutcome.UNAVAILABLE and lookup.error
    assert time.monotonic() - started < 5  # bounded: 2 protocols x 2 tries x 0.5 s, plus backoff


@pytest.mark.req("P5")
def test_whois_answers_when_rdap_is_down(registry_server, silent_port):
    registrar = Registrar({"*": f"http://127.0.0.1:{silent_port}"}, {"*": registry_server["whois"]}, timeout=0.5,
                          retries=0)
    lookup = registrar.lookup("example.com.cn")
    assert lookup.protocol == "whois" and lookup.outcome(SPONSOR) is OwnerOutcome.MATCH


def test_servers_are_chosen_by_the_longest_suffix():
    servers = parse_servers("cn=http://a, com.cn=http://b, *=http://c")
    registrar = Registrar(servers, {})
    from verification.registrar import _server_for

    assert _server_for(registrar.rdap, "example.com.cn") == "http://b"
    assert _server_for(registrar.rdap, "example.cn") == "http://a"
    assert _server_for(registrar.rdap, "example.org") == "http://c"
