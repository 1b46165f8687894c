"""A small OpenID provider on loopback for the staff's sign-in tests (issue 20, X6): discovery, an authorization
endpoint that signs in ``person`` at once and sends the browser back with a code, and a token endpoint that checks
the client secret, the redirect URI, the code's single use and the PKCE verifier (RFC 7636, S256) before giving an
EdDSA access token (the services' claims: role, provider/province) and an ID token with the request's nonce.

Its key is a test Ed25519 key whose public JWK the deployment lists in AUTH_PUBLIC_KEYS (:func:`key_set`), beside
the DEVELOPMENT key of ``icp-token``. Plain threads: it runs in the pytest process and in a browser scenario's.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from shared.platform.auth import DEFAULT_AUDIENCE, DEV_KID, dev_private_key

KID = "test-idp-1"
CLIENT_ID, CLIENT_SECRET = "icp-portal", "portal-test-secret"  # the portal's registration at this IdP


def public_jwk(key: Ed25519PrivateKey, kid: str) -> dict:
    return {**json.loads(OKPAlgorithm.to_jwk(key.public_key())), "kid": kid}


def key_set(key: Ed25519PrivateKey) -> str:
    """AUTH_PUBLIC_KEYS for a deployment trusting this IdP and the DEVELOPMENT key (icp-token, intake's)."""
    return json.dumps({"keys": [public_jwk(key, KID), public_jwk(dev_private_key(), DEV_KID)]})


class TestIdentityProvider:
    """``with TestIdentityProvider(key, redirect_uri) as idp``: serving on ``idp.issuer``; ``idp.person`` is who
    the next authorization signs in (claims), ``idp.deny`` an OAuth error to answer instead, ``idp.nonce`` a
    wrong nonce for the ID token."""

    __test__ = False  # not a pytest class

    def __init__(self, key: Ed25519PrivateKey, redirect_uri: str, port: int = 0, audience: str = DEFAULT_AUDIENCE):
        self.key, self.redirect_uri, self.audience = key, redirect_uri, audience
        self.person: dict = {"sub": "reviewer-1", "role": "reviewer", "province": "京"}
        self.deny: str | None = None
        self.nonce: str | None = None  # an ID token's nonce other than the request's
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> TestIdentityProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["EdDSA"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"]}

    def authorize(self, query: dict) -> tuple[int, str]:
        """The redirect back (302, Location), or 400 for a request it must not redirect (RFC 6749 §4.1.2.1)."""
        if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") != self.redirect_uri:
            return 400, ""
        back = {"state": query.get("state", "")}
        if self.deny:
            back["error"] = self.deny
        elif query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or not query.get("code_challenge"):
            back["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce"),
                                "claims": dict(self.person), "used": False}
            back["code"] = code
        return 302, f"{self.redirect_uri}?{urlencode(back)}"

    def token(self, form: dict, authorization: str | None) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization is None or not secrets.compare_digest(authorization, expected):
            return 401, {"error": "invalid_client"}
        grant = self.codes.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form.get("grant_type") != "authorization_code" or grant is None or grant["used"] \
                or form.get("redirect_uri") != self.redirect_uri or challenge != grant["challenge"]:
            if grant is not None:
                grant["used"] = True  # RFC 6749 §4.1.2: a code is refused after one try
            return 400, {"error": "invalid_grant"}
        grant["used"] = True
        now = int(time.time())
        common = {"iss": self.issuer, "iat": now, "exp": now + 600, "sub": grant["claims"]["sub"]}
        access = self._sign({**grant["claims"], **common, "aud": self.audience, "jti": secrets.token_hex(8)})
        id_token = self._sign({**common, "aud": CLIENT_ID, "nonce": self.nonce or grant["nonce"]})
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 600, "id_token": id_token}

    def _sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})


def _handler(idp: TestIdentityProvider):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                return self._json(200, idp.discovery())
            if url.path == "/jwks":
                return self._json(200, {"keys": [public_jwk(idp.key, KID)]})
            if url.path == "/authorize":
                status, location = idp.authorize(query)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                return self.end_headers()
            return self._json(404, {"error": "not_found"})

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            return self._json(*idp.token(form, self.headers.get("Authorization")))

        def _json(self, status: int, body: dict):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet: the tests' output is theirs
            pass

    return Handler
