"""The client address behind a trusted proxy (issue 19 point 4, ``shared.platform.clients``): a forwarded address
is believed only from a configured proxy, and a chain is read from the right."""
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.platform.clients import client_address, trusted_proxies

PORTAL = "10.0.0.7"
PROXIES = trusted_proxies(f"{PORTAL}, 10.1.0.0/16 fd00::/8")


def request(peer: str | None, *forwarded: str) -> Request:
    headers = [("X-Forwarded-For", value) for value in forwarded]
    environ = EnvironBuilder(path="/sign-in/code", headers=headers).get_environ()
    environ["REMOTE_ADDR"] = peer
    return Request(environ)


@pytest.mark.req("P1")
def test_an_untrusted_peer_is_the_client_whatever_it_forwards():
    assert client_address(request("203.0.113.9", "198.51.100.1"), PROXIES) == "203.0.113.9"
    assert client_address(request("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"


@pytest.mark.req("P1")
def test_nobody_is_trusted_by_default():
    assert trusted_proxies(None) == trusted_proxies("") == ()
    assert client_address(request(PORTAL, "198.51.100.1"), trusted_proxies("")) == PORTAL


@pytest.mark.req("P1")
def test_the_trusted_portal_forwards_the_sponsors_address():
    assert client_address(request(PORTAL, "198.51.100.1"), PROXIES) == "198.51.100.1"
    assert client_address(request("10.1.4.4", "2001:db8::5"), PROXIES) == "2001:db8::5"
    assert client_address(request("fd00::1", "198.51.100.1"), PROXIES) == "198.51.100.1"


@pytest.mark.req("P1")
def test_a_chain_is_read_from_the_right_and_what_the_client_wrote_is_not_believed():
    # the sponsor's browser wrote "1.2.3.4" itself; the ingress (10.1.0.3) appended the sponsor's real address, the
    # portal appended the ingress's
    spoofed = request(PORTAL, "1.2.3.4, 198.51.100.1, 10.1.0.3")
    assert client_address(spoofed, PROXIES) == "198.51.100.1"
    # the same chain over several header lines
    assert client_address(request(PORTAL, "1.2.3.4", "198.51.100.1, 10.1.0.3"), PROXIES) == "198.51.100.1"


@pytest.mark.req("P1")
def test_a_trusted_peer_without_a_usable_chain_counts_as_the_client():
    assert client_address(request(PORTAL), PROXIES) == PORTAL
    assert client_address(request(PORTAL, "not-an-address"), PROXIES) == PORTAL
    assert client_address(request(PORTAL, "10.1.0.3"), PROXIES) == "10.1.0.3"  # every hop trusted: the left-most
    assert client_address(request(PORTAL, "1.2.3.4, garbage, 10.1.0.3"), PROXIES) == "10.1.0.3"


def test_no_peer_known_is_an_empty_address():
    assert client_address(request(None), PROXIES) == ""


def test_a_malformed_setting_fails_at_start_up():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        trusted_proxies("10.0.0.7, 10.0.0.300")
    assert trusted_proxies(["127.0.0.1", "::1"])[1].prefixlen == 128
