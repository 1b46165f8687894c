"""Authoritative sources for the originals (P5) and the filing center's ID check (P9): one port, two adapters.

- public security (公安): does this name belong to this resident ID number, and is the card valid?
- organisation codes (质检/组织机构代码): the unit behind an organisation code, and its status;
- business registry (工商): the unit behind a USCC or licence registration number, its legal representative and
  status.

:class:`SandboxAuthorities` answers from a data file (development, tests, the demo); :class:`HttpAuthorities`
asks a real gateway over HTTP JSON with timeouts and bounded retries. A source that cannot answer gives
``Outcome.UNAVAILABLE``, which is never a pass: callers treat it as "not verified yet".

Answers hold what the source said (``record``); callers must treat people's names in it as personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import requests
from nameko.extensions import DependencyProvider

from shared.platform.config import flag
from shared.platform.retry import RetryPolicy

SANDBOX_FILE = Path(__file__).with_name("data") / "sandbox_authorities.json"


class Outcome(StrEnum):
    MATCH = "match"  # the source knows the record and it agrees with what was asked
    MISMATCH = "mismatch"  # the source knows the number, but with other data (another name)
    NOT_FOUND = "not_found"  # the source does not know the number
    INVALID = "invalid"  # the source knows it, but the document or unit is not valid (revoked, deregistered)
    UNAVAILABLE = "unavailable"  # no answer: never counts as a pass


@dataclass(frozen=True)
class AuthorityAnswer:
    source: str
    outcome: Outcome
    record: dict = field(default_factory=dict)
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.MATCH


class PublicSecurity(Protocol):
    def verify_person(self, name: str, id_number: str) -> AuthorityAnswer: ...

    def verify_people(self, people: list[tuple[str, str]]) -> list[AuthorityAnswer]:
        """The same for many (the filing center's bulk check, P9): one request per batch, not one per person."""


class UnitRegistry(Protocol):
    def lookup(self, number: str) -> AuthorityAnswer:
        """The unit registered under ``number``: ``record`` has ``name``, ``status`` and, for the business
        registry, ``legal_representative``."""


@dataclass(frozen=True)
class Authorities:
    public_security: PublicSecurity
    organisation_codes: UnitRegistry
    business_registry: UnitRegistry


# --- sandbox --------------------------------------------------------------------------------------------------


def _person_answer(people: dict, name: str, id_number: str) -> AuthorityAnswer:
    known = people.get(id_number.strip().upper())
    if known is None:
        return AuthorityAnswer("public_security", Outcome.NOT_FOUND, detail="no such ID number")
    if known["name"] != name.strip():
        return AuthorityAnswer("public_security", Outcome.MISMATCH, {"status": known["status"]},
                               "the name does not belong to this ID number")
    if known["status"] != "valid":
        return AuthorityAnswer("public_security", Outcome.INVALID, dict(known), f"the card is {known['status']}")
    return AuthorityAnswer("public_security", Outcome.MATCH, dict(known))


class _SandboxUnits:
    def __init__(self, source: str, units: dict):
        self.source = source
        self.units = units

    def lookup(self, number: str) -> AuthorityAnswer:
        known = self.units.get(number.strip().upper())
        if known is None:
            return AuthorityAnswer(self.source, Outcome.NOT_FOUND, detail="no such unit")
        outcome = Outcome.MATCH if known.get("status") == "valid" else Outcome.INVALID
        return AuthorityAnswer(self.source, outcome, dict(known))


class _SandboxPeople:
    def __init__(self, people: dict):
        self.people = people

    def verify_person(self, name: str, id_number: str) -> AuthorityAnswer:
        return _person_answer(self.people, name, id_number)

    def verify_people(self, people: list[tuple[str, str]]) -> list[AuthorityAnswer]:
        return [_person_answer(self.people, name, number) for name, number in people]


def sandbox_authorities(data: dict) -> Authorities:
    """Sources answering from ``data``: ``{"people": {id: {name, status}}, "organisation_codes": {code: {name,
    status}}, "business_registry": {number: {name, legal_representative, status}}}``."""
    return Authorities(
        public_security=_SandboxPeople({k.upper(): v for k, v in data.get("people", {}).items()}),
        organisation_codes=_SandboxUnits("organisation_codes", data.get("organisation_codes", {})),
        business_registry=_SandboxUnits("business_registry", data.get("business_registry", {})),
    )


# --- HTTP -----------------------------------------------------------------------------------------------------


class HttpSource:
    """A gateway speaking JSON: ``POST {url}/people/verify {"people": [{"name", "id_number"}]}`` ->
    ``{"results": [{"outcome", "record"}]}`` and ``GET {url}/units/{number}`` -> ``{"outcome", "record"}``.

    Each call has a timeout and ``retries`` more tries (:class:`shared.platform.retry.RetryPolicy`) on connection
    errors, timeouts and 5xx; after that the answer is ``UNAVAILABLE`` (never an exception, never a pass).
    """

    def __init__(self, source: str, url: str, *, timeout: float = 5.0, retries: int = 2, backoff: float = 0.5,
                 session: requests.Session | None = None):
        self.source = source
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.policy = RetryPolicy(retries, backoff)
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, body: Any = None) -> dict | None:
        try:
            answer = self.policy.call(
                lambda: self.session.request(method, self.url + path, json=body, timeout=self.timeout),
                retry_on=(requests.RequestException,), retry_if=lambda answer: answer.status_code >= 500)
        except requests.RequestException:
            return None
        if answer.status_code >= 500:
            return None
        if answer.status_code == 404:
            return {"outcome": Outcome.NOT_FOUND.value}
        try:
            return answer.json() if answer.ok else None
        except ValueError:
            return None

    def _answer(self, payload: dict | None, what: str) -> AuthorityAnswer:
        if not isinstance(payload, dict) or payload.get("outcome") not in set(Outcome):
            return AuthorityAnswer(self.source, Outcome.UNAVAILABLE, detail=f"{self.source} did not answer {what}")
        return AuthorityAnswer(self.source, Outcome(payload["outcome"]), dict(payload.get("record") or {}))

    def verify_person(self, name: str, id_number: str) -> AuthorityAnswer:
        return self.verify_people([(name, id_number)])[0]

    def verify_people(self, people: list[tuple[str, str]]) -> list[AuthorityAnswer]:
        body = {"people": [{"name": name, "id_number": number} for name, number in people]}
        payload = self._call("POST", "/people/verify", body)
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or len(results) != len(people):
            return [self._answer(None, "the ID check") for _ in people]
        return [self._answer(result, "the ID check") for result in results]

    def lookup(self, number: str) -> AuthorityAnswer:
        return self._answer(self._call("GET", f"/units/{requests.utils.quote(number, safe='')}"), "the lookup")


def http_authorities(config) -> Authorities:
    def source(name: str, setting: str) -> HttpSource:
        url = config.get(setting)
        if not url:
            raise ValueError(f"{setting} is required with AUTHORITY_MODE=http")
        return HttpSource(name, str(url), timeout=float(config.get("AUTHORITY_TIMEOUT") or 5),
                          retries=int(config.get("AUTHORITY_RETRIES") or 2),
                          backoff=float(config.get("AUTHORITY_BACKOFF") or 0.5))

    return Authorities(
        public_security=source("public_security", "PUBLIC_SECURITY_URL"),
        organisation_codes=source("organisation_codes", "ORGANISATION_CODES_URL"),
        business_registry=source("business_registry", "BUSINESS_REGISTRY_URL"),
    )


def authorities_from_config(config) -> Authorities:
    """``AUTHORITY_MODE=sandbox`` (default while ALLOW_DEV_KEYS, data from ``AUTHORITY_SANDBOX_FILE`` or the shipped
    file) or ``http`` (``PUBLIC_SECURITY_URL``, ``ORGANISATION_CODES_URL``, ``BUSINESS_REGISTRY_URL``,
    ``AUTHORITY_TIMEOUT``, ``AUTHORITY_RETRIES``, ``AUTHORITY_BACKOFF``)."""
    development = flag("ALLOW_DEV_KEYS", config.get("ALLOW_DEV_KEYS", True))
    mode = str(config.get("AUTHORITY_MODE") or ("sandbox" if development else "http"))
    if mode == "http":
        return http_authorities(config)
    if mode != "sandbox":
        raise ValueError(f"AUTHORITY_MODE must be sandbox or http, not {mode!r}")
    path = Path(config.get("AUTHORITY_SANDBOX_FILE") or SANDBOX_FILE)
    return sandbox_authorities(json.loads(path.read_text(encoding="utf-8")))


class AuthoritySources(DependencyProvider):
    """nameko dependency: the :class:`Authorities` configured for this service, built once at start-up."""

    def setup(self) -> None:
        self.authorities = authorities_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Authorities:
        return self.authorities
