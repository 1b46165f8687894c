"""audit's OpenAPI document (``/openapi.json``) against the service's real ``@http`` routes."""

import pytest

from audit.openapi import ROUTES, openapi_document
from audit.service import AuditService
from shared.testing.openapi_conformance import OpenApiConformance

pytestmark = pytest.mark.unit


class TestAuditOpenApi(OpenApiConformance):
    service = AuditService
    routes = ROUTES
    document = staticmethod(openapi_document)
    known_routes = {("post", "/samples"), ("put", "/providers/{provider_id}/inventory")}
    route_count = 11
