"""A real HTTP client for service tests (nameko's ``web_session`` is broken on Werkzeug 3, design.md §7)."""
import uuid

import requests


class ApiClient:
    """JSON client for one service; every POST gets a fresh ``Idempotency-Key`` unless one is given."""

    def __init__(self, base_url: str, actor: str = "sponsor"):
        self.base_url = base_url.rstrip("/")
        self.actor = actor
        self.http = requests.Session()

    def _headers(self, extra: dict | None) -> dict:
        return {"X-Actor": self.actor, **(extra or {})}

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
