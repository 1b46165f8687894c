"""verification's OpenAPI document (``/openapi.json``) against the service's real ``@http`` routes."""

import re

import pytest
from nameko.web.handlers import HttpRequestHandler
from openapi_spec_validator import validate

from shared.platform.idempotency import IDEMPOTENCY_HEADER
from verification.openapi import ROUTES, openapi_document
from verification.service import VerificationService

pytestmark = pytest.mark.unit

# Served on every HTTP service by the platform (design.md §1), not part of verification's own interface.
OPS_PATHS = {"/healthz", "/metrics", "/openapi.json"}

def _http_routes() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every ``@http`` entrypoint of VerificationService, read from the class."""
    routes = set()
    for name in dir(VerificationService):
        for entrypoint in getattr(getattr(VerificationService, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler):
                path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", entrypoint.url)
                routes.add((entrypoint.method.lower(), path))
    return routes


def _api_routes() -> set[tuple[str, str]]:
    return {(method, path) for method, path in _http_routes() if path not in OPS_PATHS}


def test_route_collector_sees_the_service():
    routes = _http_routes()
    assert {("get", "/healthz"), ("get", "/metrics"), ("get", "/openapi.json")} <= routes
    assert ("post", "/filings/{filing_id}/decision") in routes
    assert ("put", "/filings/{filing_id}/access") in routes
    assert len(_api_routes()) == 19


def test_route_table_is_the_service_routes():
    """The table the document is generated from names exactly the service's routes (no ops endpoints)."""
    documented = [(method, path) for method, path, *_ in ROUTES]
    assert len(documented) == len(set(documented))
    assert set(documented) == _api_routes()


def test_every_post_documents_the_400_for_its_idempotency_key():
    missing = [path for method, path, *_, errors in ROUTES if method == "post" and "400" not in errors]
    assert missing == []


def test_document_is_valid_openapi():
    document = openapi_document()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "verification"


def test_every_route_is_documented_with_its_method():
    paths = openapi_document()["paths"]
    missing = sorted((method, path) for method, path in _api_routes() if method not in paths.get(path, {}))
    assert missing == []


def test_every_documented_operation_is_a_real_route():
    paths = openapi_document()["paths"]
    documented = {
        (method, path)
        for path, operations in paths.items()
        for method in operations
        if method in {"get", "put", "post", "patch", "delete", "head", "options"}
    }
    assert documented - _api_routes() == set()
    assert not OPS_PATHS & set(paths)


def test_every_post_documents_the_idempotency_key_header():
    paths = openapi_document()["paths"]
    posts = [(path, ops["post"]) for path, ops in paths.items() if "post" in ops]
    assert posts
    for path, operation in posts:
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert {"name": IDEMPOTENCY_HEADER, "in": "header", "required": True} in [
            {k: h[k] for k in ("name", "in", "required")} for h in headers
        ], path


def test_path_parameters_are_declared():
    for path, operations in openapi_document()["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
