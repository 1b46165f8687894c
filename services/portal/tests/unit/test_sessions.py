"""The portal's session cookie (ADR 0004): sealed and authenticated, opened only with a listed key and within its
lifetime; the CSRF token compared in constant time and renewed at sign-in and sign-out."""
import time

import pytest
from cryptography.fernet import Fernet
from werkzeug.wrappers import Response

from portal.sessions import COOKIE, SECURE_COOKIE, Session, SessionCodec, SessionKeyError, session_keys

pytestmark = pytest.mark.unit


def codec(keys: str = "", lifetime: int = 60, secure: bool = True) -> SessionCodec:
    return SessionCodec(session_keys(keys, allow_dev_keys=True), lifetime, secure)


def test_a_session_round_trips_and_its_cookie_reveals_nothing():
    session = Session(token="eyJ.secret.token", who="138****8000", filings=["f-1"])
    sealed = codec().seal(session)
    assert "secret" not in sealed and "138" not in sealed
    opened = codec().open(sealed)
    assert (opened.token, opened.who, opened.filings, opened.csrf) == (session.token, session.who, ["f-1"],
                                                                       session.csrf)


def test_a_forged_expired_or_foreign_cookie_opens_no_session():
    sealed = codec().seal(Session(token="t"))
    assert codec().open(sealed[:-4] + "AAAA") is None
    assert codec(Fernet.generate_key().decode()).open(sealed) is None
    assert codec().open("not a cookie") is None
    old = SessionCodec(session_keys("", True), 1, True)
    stale = old.seal(Session(token="t"))
    time.sleep(2.1)
    assert old.open(stale) is None


def test_keys_rotate_newest_first_and_production_needs_its_own():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = codec(old).seal(Session(token="t"))
    assert codec(f"{new},{old}").open(sealed_before).token == "t"
    with pytest.raises(SessionKeyError):
        session_keys("", allow_dev_keys=False)
    with pytest.raises(SessionKeyError):
        session_keys("too-short", allow_dev_keys=False)


def test_the_cookie_is_httponly_samesite_and_secure_with_the_host_prefix():
    response = Response()
    codec().set_cookie(response, Session())
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SECURE_COOKIE}=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    plain = Response()
    codec(secure=False).set_cookie(plain, Session())
    assert plain.headers["Set-Cookie"].startswith(f"{COOKIE}=") and "Secure" not in plain.headers["Set-Cookie"]


def test_csrf_is_checked_and_renewed_when_the_person_changes():
    session = Session(token="t", filings=["f"])
    before = session.csrf
    assert session.csrf_ok(before) and not session.csrf_ok("") and not session.csrf_ok(None)
    assert not session.csrf_ok(before + "x")
    session.sign_out()
    assert session.csrf != before and not session.signed_in and session.filings == []
