"""shared/platform/auth.py (issue 8): which tokens verify, what a principal may see, key rotation by kid, the
settings, and the ``icp-token`` command."""
import json

import jwt
import pytest

from shared.contracts.errors import Unauthorized
from shared.platform.auth import (
    DEV_KID,
    AuthConfig,
    AuthConfigError,
    Principal,
    TokenSigner,
    dev_private_key,
    main,
)
from shared.testing.http import tampered

pytestmark = [pytest.mark.unit, pytest.mark.clock]

DEV = AuthConfig.from_config({"ALLOW_DEV_KEYS": "true"}, signs=True)
SUPERVISOR = Principal("alice", "supervisor", provider="p1")


def _code(exc_info) -> str:
    return exc_info.value.errors[0]["code"]


def _new_key(kid: str) -> dict:
    return json.loads(_run_cli(["--new-key", kid]))


def _run_cli(argv, capsys=None) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


def test_a_minted_token_verifies_to_its_principal():
    assert DEV.verifier().verify(DEV.signer().mint(SUPERVISOR)) == SUPERVISOR


@pytest.mark.parametrize("bad, code", [
    (lambda t: None, "required"),
    (lambda t: "", "required"),
    (lambda t: "not-a-jwt", "invalid"),
    (lambda t: tampered(t, role="auditor"), "invalid"),
    (lambda t: tampered(t, provider="p2"), "invalid"),
    (lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), "invalid"),
    (lambda t: "x" * 5000, "invalid"),
])
def test_malformed_or_tampered_tokens_are_refused(bad, code):
    with pytest.raises(Unauthorized) as refused:
        DEV.verifier().verify(bad(DEV.signer().mint(SUPERVISOR)))
    assert _code(refused) == code


def test_expired_tokens_are_refused_after_the_leeway():
    signer = DEV.signer()
    assert DEV.verifier().verify(signer.mint(SUPERVISOR, ttl=-10))  # within 30 s of clock skew
    with pytest.raises(Unauthorized) as refused:
        DEV.verifier().verify(signer.mint(SUPERVISOR, ttl=-60))
    assert _code(refused) == "expired"


def test_another_audience_issuer_or_algorithm_is_refused():
    key = dev_private_key()
    for signer in (TokenSigner(key, DEV_KID, "icp-verification", "another-system"),
                   TokenSigner(key, DEV_KID, "somebody-else", "icp-verification")):
        with pytest.raises(Unauthorized):
            DEV.verifier().verify(signer.mint(SUPERVISOR))
    claims = {"sub": "alice", "role": "supervisor", "provider": "p1", "iss": "icp-verification",
              "aud": "icp-verification", "iat": 1, "exp": 4102444800}
    for forged in (jwt.encode(claims, None, algorithm="none", headers={"kid": DEV_KID}),
                   jwt.encode(claims, "a" * 32, algorithm="HS256", headers={"kid": DEV_KID})):
        with pytest.raises(Unauthorized):
            DEV.verifier().verify(forged)


@pytest.mark.parametrize("claims", [
    {"role": "root"},
    {"role": "supervisor", "provider": None},
    {"role": "reviewer", "province": "Beijing"},
])
def test_unknown_roles_and_missing_scopes_are_refused(claims):
    token = jwt.encode({"sub": "x", "iss": "icp-verification", "aud": "icp-verification", "iat": 1,
                        "exp": 4102444800, **claims}, dev_private_key(), algorithm="EdDSA", headers={"kid": DEV_KID})
    with pytest.raises(Unauthorized):
        DEV.verifier().verify(token)


def test_keys_rotate_by_kid():
    old, new = _new_key("2026-11"), _new_key("2026-12")
    both = json.dumps({"keys": old["AUTH_PUBLIC_KEYS"]["keys"] + new["AUTH_PUBLIC_KEYS"]["keys"]})
    before = AuthConfig.from_config({"ALLOW_DEV_KEYS": "false", "AUTH_PUBLIC_KEYS": both,
                                     "AUTH_SIGNING_KEY": json.dumps(old["AUTH_SIGNING_KEY"])}, signs=True)
    after = AuthConfig.from_config({"ALLOW_DEV_KEYS": "false", "AUTH_PUBLIC_KEYS": both,
                                    "AUTH_SIGNING_KEY": json.dumps(new["AUTH_SIGNING_KEY"])}, signs=True)
    issued_before = before.signer().mint(SUPERVISOR)
    assert after.verifier().verify(issued_before) == SUPERVISOR  # old tokens live out their time
    retired = AuthConfig.from_config({"ALLOW_DEV_KEYS": "false",
                                      "AUTH_PUBLIC_KEYS": json.dumps(new["AUTH_PUBLIC_KEYS"])})
    assert retired.verifier().verify(after.signer().mint(SUPERVISOR)) == SUPERVISOR
    with pytest.raises(Unauthorized):
        retired.verifier().verify(issued_before)
    with pytest.raises(Unauthorized):  # the public development key is not trusted once keys are set
        retired.verifier().verify(DEV.signer().mint(SUPERVISOR))


def test_without_keys_production_stops_and_development_uses_the_public_pair():
    with pytest.raises(AuthConfigError, match="AUTH_PUBLIC_KEYS"):
        AuthConfig.from_config({"ALLOW_DEV_KEYS": "false"})
    key = _new_key("k1")
    with pytest.raises(AuthConfigError, match="AUTH_SIGNING_KEY"):
        AuthConfig.from_config({"ALLOW_DEV_KEYS": "false", "AUTH_PUBLIC_KEYS": json.dumps(key["AUTH_PUBLIC_KEYS"])},
                               signs=True)
    with pytest.raises(AuthConfigError, match="kid"):
        AuthConfig.from_config({"ALLOW_DEV_KEYS": "false", "AUTH_PUBLIC_KEYS": json.dumps(key["AUTH_PUBLIC_KEYS"]),
                                "AUTH_SIGNING_KEY": json.dumps(_new_key("k2")["AUTH_SIGNING_KEY"])}, signs=True)
    with pytest.raises(AuthConfigError, match="AUTH_PUBLIC_KEYS must be"):
        AuthConfig.from_config({"AUTH_PUBLIC_KEYS": "{not json"})
    assert DEV.development


@pytest.mark.parametrize("principal, scope, sees", [
    (Principal("h1", "sponsor"), {"provider": "p1", "province": "京", "owner": "sponsor:h1"}, True),
    (Principal("h1", "sponsor"), {"provider": "p1", "province": "京", "mobile_hmac": "h1"}, True),
    (Principal("h2", "sponsor"), {"provider": "p1", "province": "京", "owner": "sponsor:h1", "mobile_hmac": "h1"},
     False),
    (Principal("s", "precheck", provider="p1"), {"provider": "p1", "province": "京"}, True),
    (Principal("s", "supervisor", provider="p2"), {"provider": "p1", "province": "京"}, False),
    (Principal("r", "reviewer", province="京"), {"provider": "p1", "province": "京"}, True),
    (Principal("r", "reviewer", province="粤"), {"provider": "p1", "province": "京"}, False),
    (Principal("r", "reviewer", province="京"), {"provider": "p1", "province": None}, False),
    (Principal("a", "auditor"), {"provider": "p9", "province": "藏"}, True),
    (Principal("o", "ops", provider="p1"), {"provider": "p1", "province": "京"}, True),
])
def test_scopes(principal, scope, sees):
    assert principal.may_see(**scope) is sees


def test_icp_token_mints_what_the_services_accept(monkeypatch):
    monkeypatch.delenv("AUTH_SIGNING_KEY", raising=False)
    monkeypatch.delenv("AUTH_PUBLIC_KEYS", raising=False)
    token = _run_cli(["reviewer", "rev-1", "--province", "京", "--ttl", "60"]).strip()
    assert DEV.verifier().verify(token) == Principal("rev-1", "reviewer", province="京")
    sponsor = DEV.verifier().verify(_run_cli(["sponsor", "--sponsor-mobile", "13800138000"]).strip())
    assert sponsor.role == "sponsor" and len(sponsor.subject) == 64 and "13800138000" not in sponsor.subject
