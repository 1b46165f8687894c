"""The portal passes the person's address on to the services (issue 19, point 4): the address it sees them at, or,
behind a proxy it trusts (``TRUSTED_PROXIES``), the one that proxy forwarded; never a chain the browser wrote."""
import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from portal.pages import Page, Settings
from portal.sessions import SessionCodec, session_keys
from shared.platform.clients import trusted_proxies

pytestmark = pytest.mark.unit


def forwarded(peer: str, header: str | None, proxies: str = "") -> str | None:
    settings = Settings(urls={"intake": "http://intake:8001"}, timeout=1.0, http=requests.Session(), actors=(),
                        codec=SessionCodec(session_keys("", allow_dev_keys=True), 60, True),
                        proxies=trusted_proxies(proxies))
    environ = EnvironBuilder(path="/sign-in", headers={"X-Forwarded-For": header} if header else {}).get_environ()
    environ["REMOTE_ADDR"] = peer
    return Page(settings, Request(environ)).api("intake").headers.get("X-Forwarded-For")


@pytest.mark.req("P1")
def test_the_persons_own_address_goes_on_and_what_their_browser_wrote_does_not():
    assert forwarded("198.51.100.7", None) == "198.51.100.7"
    assert forwarded("198.51.100.7", "1.2.3.4") == "198.51.100.7"


@pytest.mark.req("P1")
def test_behind_a_trusted_ingress_the_address_it_forwarded_goes_on():
    assert forwarded("10.1.0.3", "1.2.3.4, 198.51.100.7", proxies="10.1.0.0/16") == "198.51.100.7"
