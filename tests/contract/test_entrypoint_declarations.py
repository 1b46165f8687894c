"""Issue 18: every route is declared once. For every service, each HTTP and RPC entrypoint carries its access rule
on its declaration (no hand-written policy table), and the OpenAPI document generated from the declarations names
exactly the service's real routes, each with its method, path parameters, errors and ``Idempotency-Key``."""

import importlib
import re

import pytest
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from openapi_spec_validator import validate

from shared.platform.entrypoints import PLATFORM_URLS, access_rule, openapi_document, routes
from shared.platform.idempotency import IDEMPOTENCY_HEADER

pytestmark = pytest.mark.contract

SERVICES = [
    "audit.service:AuditService",
    "bureau.service:BureauService",
    "intake.service:IntakeService",
    "notify.service:NotifyService",
    "precheck.service:PrecheckService",
    "verification.service:VerificationService",
]
OPEN = {"ops_healthz", "ops_metrics"}  # the platform's own, open to every caller (shared.platform.auth)


def _service(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _entrypoints(service: type, kind: type) -> dict[str, object]:
    return {name: entrypoint for name in dir(service)
            for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()) if isinstance(entrypoint, kind)}


def _real_routes(service: type) -> set[tuple[str, str]]:
    return {(e.method.lower(), re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", e.url))
            for e in _entrypoints(service, HttpRequestHandler).values() if e.url not in PLATFORM_URLS}


@pytest.fixture(params=SERVICES, ids=lambda path: path.split(".")[0])
def service(request):
    return _service(request.param)


def test_every_http_and_rpc_entrypoint_declares_its_access_rule(service):
    names = set(_entrypoints(service, HttpRequestHandler)) | set(_entrypoints(service, Rpc))
    assert sorted(name for name in names - OPEN if access_rule(service, name) is None) == []


def test_no_hand_written_policy_survives(service):
    module = importlib.import_module(service.__module__)
    assert not hasattr(module, "ACCESS_POLICY")
    assert service.caller.policy == {}


def test_every_real_route_is_declared_once_and_documented(service):
    declared = [(r.method.lower(), r.path) for r in routes(service)]
    assert len(declared) == len(set(declared))
    assert set(declared) == _real_routes(service)
    document = openapi_document(service, service.description)
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert documented == _real_routes(service)


def test_the_document_is_valid_openapi_with_errors_and_keys(service):
    document = openapi_document(service, service.description)
    validate(document)
    assert document["info"]["title"] == service.name and document["info"]["description"]
    for path, operations in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in operations.items():
            assert {p["name"] for p in operation["parameters"] if p["in"] == "path"} == names, (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOutput"}, (method, path, status)
    for declared in routes(service):
        operation = document["paths"][declared.path][declared.method.lower()]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert (IDEMPOTENCY_HEADER in headers) == declared.idempotent, declared.name
        if declared.idempotent:
            assert "400" in operation["responses"], declared.name
        if not declared.access.public:
            assert {"401", "403"} <= set(operation["responses"]), declared.name


def test_the_portals_routes_are_pages_every_form_checks_its_token_and_a_filings_pages_need_sign_in():
    """The portal (issue 19) has no API of its own to document: each route is an HTML page whose errors are pages
    too (``portal.errors.PageHttp``); each POST but the catch-all's 404 checks the session's CSRF token; each
    page of a filing (``/filings...``) asks for sign-in first, each console page (``/staff/...``, issue 20) a staff
    token of a role it is for; an unknown URL reaches the catch-all's 404 page."""
    from portal.consoles import Consoles
    from portal.errors import PageHttp
    from portal.pages import Portal
    from portal.service import PortalService

    pages = {name: e for name, e in _entrypoints(PortalService, HttpRequestHandler).items()
             if e.url not in PLATFORM_URLS}
    assert len(pages) > 20 and all(isinstance(e, PageHttp) for e in pages.values())
    for name, entrypoint in pages.items():
        handler = getattr(Portal, name, None) or getattr(Consoles, name, None)
        if name == "not_found" or entrypoint.url.startswith("/static/"):
            continue
        assert handler is not None, f"{name}: a route without its page"
        if "POST" in entrypoint.method.split(","):
            assert getattr(handler, "csrf_checked", False), f"{name}: a form without the CSRF check"
        if entrypoint.url.startswith("/filings"):
            assert getattr(handler, "signed_in_only", False), f"{name}: a filing's page open without sign-in"
        if entrypoint.url.startswith("/staff/") and not entrypoint.url.startswith("/staff/sign-in"):
            assert getattr(handler, "staff_only", None), f"{name}: a console page open without a staff token"
    catch_all = pages["not_found"]
    assert catch_all.url == "/<path:unknown>" and set(catch_all.method.split(",")) == {"GET", "POST"}
