"""The services the portal calls, over their public HTTP APIs, as the signed-in person (design.md §9).

Every call carries the person's bearer token (none before sign-in), the language they read (``Accept-Language``),
their address (``X-Forwarded-For``: a service that lists the portal in its ``TRUSTED_PROXIES`` counts its per-client
limits by it, ``shared.platform.clients``), a timeout, and for each POST the ``Idempotency-Key`` of the form it came
from, so a form sent twice is one action. Answers come back as :class:`Answer` (status and JSON body); the portal
decides nothing from them but what to show.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests

from shared.platform.clients import FORWARDED_FOR
from shared.platform.logging import CORRELATION_HEADER


@dataclass
class Answer:
    status: int
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def errors(self) -> list[dict]:
        """The field errors of an error answer (``{"error": {"errors": [...]}}``), or one naming its code."""
        error = self.body.get("error") or {}
        return error.get("errors") or [{"field": "", "code": error.get("code", "unavailable"),
                                        "message": error.get("message", ""), "rule": ""}]


class BackendUnavailable(Exception):
    """A service did not answer within the timeout, or not in JSON."""


class Backend:
    """One service's API at ``base_url`` for one request: ``token``, ``locale`` and ``client`` (the address the
    portal sees the person at) are the person's."""

    def __init__(self, http: requests.Session, base_url: str, timeout: float, token: str | None, locale: str,
                 correlation_id: str | None = None, client: str = ""):
        self.http, self.base_url, self.timeout = http, base_url.rstrip("/"), timeout
        self.headers = {"Accept-Language": locale.replace("_", "-")}
        if client:  # only the person's own address: a chain their browser sent is not passed on
            self.headers[FORWARDED_FOR] = client
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if correlation_id:
            self.headers[CORRELATION_HEADER] = correlation_id

    def call(self, method: str, path: str, *, key: str | None = None, **kwargs) -> Answer:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if method == "POST":
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        try:
            response = self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=self.timeout,
                                         **kwargs)
        except requests.RequestException as exc:
            raise BackendUnavailable(f"{method} {path}: {type(exc).__name__}") from None
        if not response.content:
            return Answer(response.status_code, {})
        try:
            return Answer(response.status_code, response.json())
        except ValueError:
            raise BackendUnavailable(f"{method} {path}: {response.status_code}, not JSON") from None

    def get(self, path: str, **kwargs) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Answer:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> Answer:
        return self.call("PATCH", path, **kwargs)

    def raw(self, path: str, **kwargs) -> requests.Response:
        """A GET whose answer is not JSON (a CSV report), as it came; a 4xx is the caller's to show."""
        try:
            return self.http.get(f"{self.base_url}{path}", headers=self.headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise BackendUnavailable(f"GET {path}: {type(exc).__name__}") from None

    def fetch(self, url: str) -> requests.Response:
        """A presigned object link's bytes (a scan to preview), fetched server side."""
        try:
            return self.http.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BackendUnavailable(f"GET object: {type(exc).__name__}") from None
