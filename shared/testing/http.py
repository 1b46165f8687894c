"""A real HTTP client for service tests (nameko's ``web_session`` is broken on Werkzeug 3, design.md §7), and
the tokens it sends (issue 8: every route but ``/healthz``, ``/metrics`` and ``/openapi.json`` needs one)."""
import re
import uuid

import requests

from shared.platform.auth import AUDITOR, PROVIDER_SCOPED, READ_METHODS, AuthConfig, Principal, Rule, sponsor_subject
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

    def __init__(self, base_url: str, token: str | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = session or requests.Session()

    def as_(self, token: str | None) -> "ApiClient":
        """The same service, another caller, on the same connection pool (close one, close all: an idle
        keep-alive connection holds the web server's shutdown)."""
        return ApiClient(self.base_url, token, self.http)

    def _headers(self, extra: dict | None) -> dict:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
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


def tampered(valid: str, **claims) -> str:
    """``valid`` with its payload changed (e.g. ``role="supervisor"``) and the old signature kept."""
    import base64
    import json

    header, payload, signature = valid.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def identities(provider: str, province: str = "京", mobile: str = "13800138000") -> dict[str, str | None]:
    """One token per kind of caller for the route x role tables (issue 8): the owner sponsor (``mobile``),
    another sponsor, each staff role of ``provider``, a verifier of another provider, reviewers of ``province``
    and of another province, an auditor, ops, and the callers that must be refused outright (none, expired,
    tampered)."""
    other_province = "粤" if province != "粤" else "京"
    owner = sponsor_token(mobile)
    return {
        "sponsor": owner,
        "other_sponsor": sponsor_token("13700000001"),
        "precheck": token("precheck", "precheck-1", provider=provider),
        "onsite_verifier": token("onsite_verifier", "verifier-1", provider=provider),
        "supervisor": token("supervisor", "supervisor-1", provider=provider),
        "other_provider_verifier": token("onsite_verifier", "verifier-9", provider=f"{provider}-other"),
        "reviewer": token("reviewer", "reviewer-1", province=province),
        "other_province_reviewer": token("reviewer", "reviewer-9", province=other_province),
        "auditor": token("auditor", "auditor-1"),
        "ops": token("ops", "ops-1", provider=provider),
        "none": None,
        "expired": sponsor_token(mobile, ttl=-120),
        "tampered": tampered(owner, role="supervisor", provider=provider),
    }


IDENTITY_ROLES = {"sponsor": "sponsor", "other_sponsor": "sponsor", "precheck": "precheck",
                  "onsite_verifier": "onsite_verifier", "supervisor": "supervisor",
                  "other_provider_verifier": "onsite_verifier", "reviewer": "reviewer",
                  "other_province_reviewer": "reviewer", "auditor": "auditor", "ops": "ops"}
"""The role of each caller of :func:`identities` that holds a valid token."""


def allowed_callers(rule: Rule, method: str, *, tenant: bool = True) -> set[str]:
    """The callers of :func:`identities` that ``rule`` lets call a route of ``method``, as
    :meth:`shared.platform.auth.Guard.decide` decides (before any per-filing scope), so that an access test's
    table is generated from the route's declaration. ``tenant``: the service runs with a ``PROVIDER_ID``, so
    staff and ops of another provider are refused."""
    if rule.public:
        return set(identities("p")) - {"expired", "tampered"}
    return {caller for caller, role in IDENTITY_ROLES.items()
            if role in rule.roles
            and not (tenant and role in PROVIDER_SCOPED and caller == "other_provider_verifier")
            and (role != AUDITOR or method in READ_METHODS or rule.auditor_writes)}


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def assert_answered_in_the_callers_language(send, field: str, code: str) -> dict:
    """Issue 19 (X6): ``send(headers) -> response`` asked with no ``Accept-Language``, with ``en`` and with
    ``zh-CN`` is the same 4xx field error for ``field`` and ``code`` each time: in Chinese by default and for
    ``zh-CN`` (the same answer), in English for ``en``, with ``code``, ``field`` and ``rule`` identical. Returns
    the three error bodies by header."""
    answers = {}
    for header in (None, "en", "zh-CN"):
        response = send({"Accept-Language": header} if header else {})
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        answers[header] = response.json()["error"]
    machine = {key: [(e["field"], e["code"], e["rule"]) for e in error["errors"]] for key, error in answers.items()}
    assert machine[None] == machine["en"] == machine["zh-CN"]
    assert (field, code) in [(f, c) for f, c, _ in machine[None]], machine[None]
    assert answers[None] == answers["zh-CN"]
    assert answers[None]["code"] == answers["en"]["code"]
    for error in (answers[None], *answers[None]["errors"]):
        assert _CHINESE.search(error["message"]), error
    for error in (answers["en"], *answers["en"]["errors"]):
        assert not _CHINESE.search(error["message"]) and re.search("[A-Za-z]", error["message"]), error
    return answers
