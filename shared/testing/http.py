"""A real HTTP client for service tests (nameko's ``web_session`` is broken on Werkzeug 3, design.md §7), and
the tokens it sends (issue 8: every route but ``/healthz``, ``/metrics`` and ``/openapi.json`` needs one)."""
import uuid

import requests

from shared.platform.auth import AuthConfig, Principal, sponsor_subject
from shared.platform.crypto import CryptoConfig

_SIGNER = None
_HASHER = None


def token(role: str, subject: str = "tester", *, provider: str | None = None, province: str | None = None,
          ttl: int | None = None) -> str:
    """A token signed with the DEVELOPMENT key pair, which every service accepts while ALLOW_DEV_KEYS is true
    (the tests' and the demo's configuration); ``ttl`` < 0 mints an expired one."""
    global _SIGNER
    if _SIGNER is None:
        _SIGNER = AuthConfig.from_config({"ALLOW_DEV_KEYS": True}, signs=True).signer()
    return _SIGNER.mint(Principal(subject, role, provider, province), ttl=ttl)


def sponsor_token(mobile: str = "13800138000", **kwargs) -> str:
    """A sponsor's token as intake's sign-in would give it for ``mobile`` (subject: the DEVELOPMENT HMAC)."""
    global _HASHER
    if _HASHER is None:
        _HASHER = CryptoConfig.from_config({"ALLOW_DEV_KEYS": True}).hasher()
    return token("sponsor", sponsor_subject(mobile, _HASHER), **kwargs)


class ApiClient:
    """JSON client for one service, sending ``Authorization: Bearer <token>`` when it has one; every POST gets
    a fresh ``Idempotency-Key`` unless one is given."""

    def __init__(self, base_url: str, token: str | None = None, *, actor: str | None = None):
        """``actor``: the ``X-Actor`` header, for the services the bearer-token guard is not applied to yet
        (verification, bureau)."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.actor = actor
        self.http = requests.Session()

    def as_(self, token: str | None) -> "ApiClient":
        """The same service, another caller."""
        return ApiClient(self.base_url, token, actor=self.actor)

    def _headers(self, extra: dict | None) -> dict:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.actor is not None:
            auth["X-Actor"] = self.actor
        return {**auth, **(extra or {})}

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)), timeout=10,
                             **kwargs)

    def post(self, path: str, *, key: str | None = None, **kwargs) -> requests.Response:
        headers = self._headers({"Idempotency-Key": key or uuid.uuid4().hex, **kwargs.pop("headers", {})})
        return self.http.post(self.base_url + path, headers=headers, timeout=30, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.http.patch(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)), timeout=10,
                               **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.http.put(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)), timeout=10,
                             **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.http.delete(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)),
                                timeout=10, **kwargs)
