"""Conformance suite for a service's OpenAPI document (``/openapi.json``) against its real ``@http`` routes.

A service's test module subclasses :class:`OpenApiConformance` as ``Test<Name>OpenApi`` and sets ``service``
(the nameko class), ``routes`` (the table its document is generated from: ``(method, path, ..., errors)``),
``document`` (the function that builds it), ``known_routes`` (a few routes the collector must see),
``route_count`` and, where a POST takes no ``Idempotency-Key`` (sign-in), ``unkeyed_posts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nameko.web.handlers import HttpRequestHandler
from openapi_spec_validator import validate

from shared.platform.idempotency import IDEMPOTENCY_HEADER

# Served on every HTTP service by the platform (design.md §1), not part of a service's own interface.
OPS_PATHS = {"/healthz", "/metrics", "/openapi.json"}
OPERATIONS = {"get", "put", "post", "patch", "delete", "head", "options"}


def http_routes(service: type) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every ``@http`` entrypoint of ``service``, read from the class."""
    routes = set()
    for name in dir(service):
        for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler):
                path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", entrypoint.url)
                routes.add((entrypoint.method.lower(), path))
    return routes


def http_entrypoints(service: type) -> set[str]:
    """The method name of every ``@http`` entrypoint of ``service`` (the names its access policy uses), read from
    the class, so that a route × role table can prove it names every route the service has (issue 8)."""
    return {name for name in dir(service) if any(
        isinstance(e, HttpRequestHandler) for e in getattr(getattr(service, name), "nameko_entrypoints", ()))}


class OpenApiConformance:
    """Tests every HTTP service's document must pass. Not collected by itself (no ``Test`` prefix)."""

    service: type
    routes: list
    document: Callable[[], dict]
    known_routes: set[tuple[str, str]]
    route_count: int
    unkeyed_posts: frozenset[str] = frozenset()

    def api_routes(self) -> set[tuple[str, str]]:
        return {(method, path) for method, path in http_routes(self.service) if path not in OPS_PATHS}

    def test_route_collector_sees_the_service(self):
        routes = http_routes(self.service)
        assert {("get", "/healthz"), ("get", "/metrics"), ("get", "/openapi.json")} <= routes
        assert self.known_routes <= routes
        assert len(self.api_routes()) == self.route_count

    def test_route_table_is_the_service_routes(self):
        """The table the document is generated from names exactly the service's routes (no ops endpoints)."""
        documented = [(method, path) for method, path, *_ in self.routes]
        assert len(documented) == len(set(documented))
        assert set(documented) == self.api_routes()

    def test_every_post_documents_the_400_for_its_idempotency_key(self):
        missing = [path for method, path, *_, errors in self.routes if method == "post" and "400" not in errors]
        assert missing == []

    def test_document_is_valid_openapi(self):
        document = self.document()
        validate(document)
        assert document["openapi"].startswith("3.")
        assert document["info"]["title"] == self.service.name

    def test_every_route_is_documented_with_its_method(self):
        paths = self.document()["paths"]
        missing = sorted((method, path) for method, path in self.api_routes() if method not in paths.get(path, {}))
        assert missing == []

    def test_every_documented_operation_is_a_real_route(self):
        paths = self.document()["paths"]
        documented = {(method, path) for path, operations in paths.items() for method in operations
                      if method in OPERATIONS}
        assert documented - self.api_routes() == set()
        assert not OPS_PATHS & set(paths)

    def test_every_post_documents_the_idempotency_key_header(self):
        paths = self.document()["paths"]
        posts = [(path, ops["post"]) for path, ops in paths.items() if "post" in ops and path not in self.unkeyed_posts]
        assert posts
        for path, operation in posts:
            headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
            assert {"name": IDEMPOTENCY_HEADER, "in": "header", "required": True} in [
                {k: h[k] for k in ("name", "in", "required")} for h in headers
            ], path

    def test_path_parameters_are_declared(self):
        for path, operations in self.document()["paths"].items():
            names = set(re.findall(r"{([^}]+)}", path))
            for method, operation in operations.items():
                declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert declared == names, (method, path)
