"""The staff's sign-in through the organisation's identity provider (issue 20, X6; ADR 0007), without a browser:
the portal's pages against a small OpenID provider on loopback (``shared.testing.idp``). The code flow with PKCE
signs a reviewer in; a wrong state, the IdP's error, a replayed code, another sign-in's verifier, a token the
services would refuse, a wrong nonce and a role without a console are each an error page naming the step, and
the session keeps nothing; ``next`` is only ever a local path; the pasted token only with ALLOW_DEV_KEYS."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.test import Client
from werkzeug.wrappers import Request

from portal.consoles import Consoles
from portal.dependencies import settings_of
from portal.sessions import Session
from shared.testing.http import token
from shared.testing.idp import CLIENT_ID, CLIENT_SECRET, TestIdentityProvider, key_set

pytestmark = pytest.mark.unit
REDIRECT = "http://portal.test/staff/sign-in/callback"
KEY = Ed25519PrivateKey.generate()
ROUTES = {("GET", "/staff/sign-in"): "staff_sign_in_form", ("POST", "/staff/sign-in"): "staff_sign_in",
          ("GET", "/staff/sign-in/idp"): "staff_sign_in_idp", ("GET", "/staff/sign-in/callback"):
          "staff_sign_in_callback", ("GET", "/staff"): "staff_home"}


@pytest.fixture(scope="module")
def idp():
    with TestIdentityProvider(KEY, REDIRECT) as provider:
        yield provider


@pytest.fixture
def person(idp):
    idp.person, idp.deny, idp.nonce = {"sub": "reviewer-1", "role": "reviewer", "province": "京"}, None, None
    return idp


def config(idp, **overrides) -> dict:
    return {"PORTAL_ACTOR": "provincial-bureau", "PORTAL_BUREAU_URL": "http://127.0.0.1:9", "ALLOW_DEV_KEYS": True,
            "PORTAL_COOKIE_SECURE": False, "AUTH_PUBLIC_KEYS": key_set(KEY),
            "AUTH_ISSUERS": f"icp-verification,{idp.issuer}", "PORTAL_OIDC_ISSUER": idp.issuer,
            "PORTAL_OIDC_CLIENT_ID": CLIENT_ID, "PORTAL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "PORTAL_OIDC_REDIRECT_URI": REDIRECT, **overrides}


class Browser:
    """The portal's staff sign-in pages as one browser sees them (its cookie kept between requests)."""

    def __init__(self, settings):
        self.settings, consoles = settings, Consoles(settings)

        def app(environ, start_response):
            request = Request(environ)
            return getattr(consoles, ROUTES[request.method, request.path])(request)(environ, start_response)

        self.client = Client(app)

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers={"Accept-Language": "zh-CN"}, **kwargs)

    def to_idp(self, next_: str = "/staff/reviews") -> str:
        """Sign-in started: the callback URL the IdP sends the browser back to (its code and state)."""
        leaving = self.get(f"/staff/sign-in/idp?next={next_}")
        assert leaving.status_code == 303
        back = requests.get(leaving.headers["Location"], allow_redirects=False, timeout=5)
        assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
        return back.headers["Location"].removeprefix("http://portal.test")

    def session(self) -> Session:
        cookie = self.client.get_cookie(self.settings.codec.cookie_name)
        return self.settings.codec.open(cookie.value if cookie else None) or Session()


def refused(answer, status: int, says: str, browser: Browser) -> None:
    text = answer.get_data(as_text=True)
    assert answer.status_code == status and "登录失败" in text and says in text, text
    kept = browser.session()
    assert kept.token is None and kept.role is None and kept.signing_in is None  # nothing stored


@pytest.mark.req("X6")
@pytest.mark.req("W4")
def test_a_reviewer_signs_in_through_the_identity_provider_and_is_sent_to_a_local_page_only(person):
    browser = Browser(settings_of(config(person), requests.Session()))
    page = browser.get("/staff/sign-in").get_data(as_text=True)
    assert "使用单位统一身份认证登录" in page and 'name="token"' in page  # ALLOW_DEV_KEYS: the pasted token too
    leaving = browser.get("/staff/sign-in/idp?next=/staff/reviews")
    query = parse_qs(urlsplit(leaving.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["state"][0] not in leaving.headers.get("Set-Cookie", "")  # kept sealed in the session
    callback = browser.to_idp()
    signed_in = browser.get(callback)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/staff/reviews"
    session = browser.session()
    assert (session.role, session.who, session.signing_in) == ("reviewer", "reviewer-1", None)
    home = browser.get("/staff").get_data(as_text=True)
    assert "备案审核" in home and "预核验队列" not in home  # W4: the reviewer's console only
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        browser = Browser(browser.settings)
        assert browser.get(browser.to_idp(elsewhere)).headers["Location"] == "/staff"  # no open redirect


@pytest.mark.req("X6")
def test_a_callback_of_another_state_or_replayed_is_refused(person):
    browser = Browser(settings_of(config(person), requests.Session()))
    callback = browser.to_idp()
    forged = callback.replace("state=", "state=x")
    refused(browser.get(forged), 400, "state 不一致", browser)
    browser.to_idp()
    replayed = browser.get(callback)  # the first sign-in's state: not this session's pending one
    refused(replayed, 400, "state 不一致", browser)


@pytest.mark.req("X6")
def test_a_replayed_code_and_another_sign_ins_verifier_are_refused_by_the_token_endpoint(person):
    browser = Browser(settings_of(config(person), requests.Session()))
    first = browser.to_idp()
    assert browser.get(first).status_code == 303
    code = parse_qs(urlsplit(first).query)["code"][0]
    second = parse_qs(urlsplit(browser.to_idp()).query)
    replayed = browser.get(f"/staff/sign-in/callback?code={code}&state={second['state'][0]}")
    refused(replayed, 401, "令牌端点拒绝了授权码", browser)
    # a code obtained with one sign-in's challenge, brought back in another: the verifier does not match
    other = parse_qs(urlsplit(browser.to_idp()).query)["code"][0]
    third = parse_qs(urlsplit(browser.to_idp()).query)
    refused(browser.get(f"/staff/sign-in/callback?code={other}&state={third['state'][0]}"), 401, "校验码不符",
            browser)


@pytest.mark.req("X6")
def test_the_idps_error_a_token_the_services_refuse_a_wrong_nonce_and_a_role_without_console_are_refused(person):
    browser = Browser(settings_of(config(person), requests.Session()))
    person.deny = "access_denied"
    refused(browser.get(browser.to_idp()), 401, "未同意登录", browser)
    person.deny, person.nonce = None, "another-sign-in"
    refused(browser.get(browser.to_idp()), 401, "nonce 与本次登录不符", browser)
    person.nonce, person.person = None, {"sub": "p-1", "role": "precheck", "provider": "p"}
    refused(browser.get(browser.to_idp()), 403, "没有可用的工作台", browser)  # the bureau's portal
    person.person = {"sub": "someone", "role": "reviewer", "province": "XX"}
    refused(browser.get(browser.to_idp()), 401, "未通过验证", browser)
    untrusted = Browser(settings_of(config(person, AUTH_ISSUERS="icp-verification"), requests.Session()))
    person.person = {"sub": "reviewer-1", "role": "reviewer", "province": "京"}
    refused(untrusted.get(untrusted.to_idp()), 401, "未通过验证", untrusted)  # an issuer the services don't trust


@pytest.mark.req("X6")
def test_the_pasted_token_only_with_development_keys_and_the_settings_all_or_none(person):
    production = config(person, ALLOW_DEV_KEYS=False, PORTAL_SESSION_KEYS=Fernet.generate_key().decode(),
                        PORTAL_OIDC_ISSUER="https://idp.example", PORTAL_OIDC_REDIRECT_URI="https://portal.example/cb")
    browser = Browser(settings_of(production, requests.Session()))
    page = browser.get("/staff/sign-in").get_data(as_text=True)
    assert "使用单位统一身份认证登录" in page and 'name="token"' not in page
    csrf = browser.session().csrf
    pasted = browser.client.post("/staff/sign-in", data={"csrf": csrf, "token": token("reviewer", province="京")})
    assert pasted.status_code == 403 and browser.session().token is None
    development = {k: v for k, v in config(person).items() if not k.startswith("PORTAL_OIDC_")}
    page = Browser(settings_of(development, requests.Session())).get("/staff/sign-in").get_data(as_text=True)
    assert "使用单位统一身份认证登录" not in page and 'name="token"' in page
    with pytest.raises(ValueError, match="PORTAL_OIDC_CLIENT_SECRET"):
        settings_of(config(person, PORTAL_OIDC_CLIENT_SECRET=""), requests.Session())
    with pytest.raises(ValueError, match="https"):
        settings_of(config(person, ALLOW_DEV_KEYS=False, PORTAL_SESSION_KEYS=Fernet.generate_key().decode()),
                    requests.Session())
