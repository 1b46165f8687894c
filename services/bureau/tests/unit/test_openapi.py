"""The bureau's OpenAPI document (``/openapi.json``) against the service's real ``@http`` routes."""

import pytest

from bureau.openapi import ROUTES, openapi_document
from bureau.service import BureauService
from shared.testing.openapi_conformance import OpenApiConformance

pytestmark = pytest.mark.unit


class TestBureauOpenApi(OpenApiConformance):
    service = BureauService
    routes = ROUTES
    document = staticmethod(openapi_document)
    known_routes = {("post", "/reviews/{filing_id}/approval"), ("get", "/providers/{provider_id}/compliance/{year}")}
    route_count = 15
