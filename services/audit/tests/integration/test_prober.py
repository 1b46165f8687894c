"""X5: the shell-site probe's adapter (``audit.prober.SiteProber``) against a DNS server and web servers on loopback
(shared.testing.websites): addresses through the configured nameserver and port, CNAME chains followed across
zones, a name that does not exist, a resolver that does not answer, and HEAD within the timeout to the addresses
in the ranges only."""
import socket
import time

import pytest

from audit.dependencies import provider_ranges, settings_from_config
from audit.prober import SiteProber, parse_nameservers
from shared.kernel.network import parse_ranges
from shared.testing.websites import LoopbackDns, LoopbackWeb

pytestmark = [pytest.mark.integration, pytest.mark.req("X5")]

RANGES = parse_ranges("127.0.0.0/24, 127.0.1.0/24")  # the provider's and a CDN's


@pytest.fixture(scope="module")
def world():
    records = {
        "www.example.cn": {"A": ["127.0.0.1"]},
        "cdn.example.cn": {"CNAME": ["site.cdn-edge.test."]},
        "site.cdn-edge.test": {"CNAME": ["node.cdn-edge.test."]},
        "node.cdn-edge.test": {"A": ["127.0.1.1"]},
        "away.example.cn": {"A": ["198.51.100.7"], "AAAA": ["2001:db8::7"]},
        "dead.example.cn": {"A": ["127.0.0.9"]},  # the provider's range, nothing listens
        "silent.example.cn": {"A": ["127.0.0.10"]},  # the provider's range, connects and never answers
        "elsewhere.example.cn": {"A": ["127.0.2.1"]},  # outside the ranges, a web server that would answer
        "mail.example.cn": {"MX": ["10 mx.example.cn."]},
    }
    with LoopbackDns(records) as dns, LoopbackWeb(["127.0.0.1", "127.0.1.1", "127.0.2.1"]) as web, \
            socket.create_server(("127.0.0.10", web.port)):  # listening, never accepted: a HEAD gets no answer
        yield dns, web


@pytest.fixture
def prober(world):
    dns, web = world
    return SiteProber(parse_nameservers(dns.address), timeout=1.0, http_port=web.port)


def test_addresses_come_from_the_configured_resolver_with_cname_chains_followed(prober):
    assert prober.addresses("www.example.cn") == ["127.0.0.1"]
    assert prober.addresses("cdn.example.cn") == ["127.0.1.1"]  # two CNAMEs, each answered alone
    assert prober.addresses("away.example.cn") == ["198.51.100.7", "2001:db8::7"]
    assert prober.addresses("gone.example.cn") == []  # NXDOMAIN
    assert prober.addresses("mail.example.cn") == []  # exists, no address


def test_head_is_asked_of_the_addresses_in_the_ranges_only_and_within_the_timeout(prober):
    started = time.monotonic()
    answers = prober.probe_all(["www.example.cn", "cdn.example.cn", "away.example.cn", "dead.example.cn",
                                "silent.example.cn", "elsewhere.example.cn"], RANGES)
    assert answers == {"www.example.cn": (["127.0.0.1"], True), "cdn.example.cn": (["127.0.1.1"], True),
                       "away.example.cn": (["198.51.100.7", "2001:db8::7"], False),
                       "dead.example.cn": (["127.0.0.9"], False), "silent.example.cn": (["127.0.0.10"], False),
                       "elsewhere.example.cn": (["127.0.2.1"], False)}  # never asked, though it answers: not ours
    assert time.monotonic() - started < 5  # the silent one given up after the 1 s timeout


def test_a_resolver_that_does_not_answer_is_unknown_within_the_timeout():
    silent = LoopbackDns()  # bound, never served: queries go unanswered
    try:
        started = time.monotonic()
        assert SiteProber(parse_nameservers(silent.address), timeout=0.5).addresses("www.example.cn") is None
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_settings_read_the_resolver_ranges_and_port():
    assert parse_nameservers("127.0.0.1:5353, 10.0.0.2 [::1]:53") == [("127.0.0.1", 5353), ("10.0.0.2", 53),
                                                                     ("::1", 53)]
    cdn = parse_ranges("61.160.0.0/16")
    assert provider_ranges("p-a=111.13.100.0/24,240e:e9:6002::/48; p-b=1.2.3.0/24", cdn) == {
        "p-a": parse_ranges("111.13.100.0/24 240e:e9:6002::/48") + cdn, "p-b": parse_ranges("1.2.3.0/24") + cdn}
    with pytest.raises(ValueError, match="AUDIT_PROVIDER_RANGES"):
        provider_ranges("111.13.100.0/24", cdn)
    settings = settings_from_config({"AUDIT_SHELL_SITE_NAMESERVERS": "127.0.0.1:5353", "AUDIT_SHELL_SITE_TIMEOUT": "2",
                                     "AUDIT_SHELL_SITE_HTTP_PORT": "8080", "AUDIT_SHELL_SITE_FAILING_DAYS": "5"})
    assert (settings.prober.http_port, settings.prober.timeout, settings.failing_days, settings.ranges) == (
        8080, 2.0, 5.0, {})
    with pytest.raises(ValueError, match="TIMEOUT"):
        settings_from_config({"AUDIT_SHELL_SITE_TIMEOUT": "0"})
