"""What the services' OpenAPI documents (``GET /openapi.json``) are built from: the spec with the one error answer
(:class:`shared.contracts.errors.ErrorOutput`, design.md §3) and the pieces of an operation that read the same in
every service. Each service's ``openapi.py`` keeps its routes and what is particular to them. Intake,
verification, bureau and audit use all of it; precheck and notify still declare their errors as a bare object."""

import re
from types import ModuleType

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.contracts.errors import ErrorOutput
from shared.platform.idempotency import IDEMPOTENCY_HEADER

IDEMPOTENCY_PARAMETER = {"name": IDEMPOTENCY_HEADER, "in": "header", "required": True, "schema": {"type": "string"}}


def new_spec(title: str, description: str, schemas: ModuleType, names: tuple[str, ...]) -> APISpec:
    """An OpenAPI 3.0.3 spec with ``schemas``' classes ``names`` and ``ErrorOutput`` as components. Name nested
    schemas before the schemas that nest them: apispec registers a nested schema itself and refuses a second
    registration."""
    spec = APISpec(title=title, version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": description})
    for name in names:
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.components.schema("ErrorOutput", schema=ErrorOutput)
    return spec


def error_response(description: str) -> dict:
    """An error status's response: ``description`` and the ``ErrorOutput`` body every service answers with."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}}}


def path_parameters(path: str) -> list[dict]:
    """Each ``{name}`` of ``path`` as a required string parameter."""
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^}]+)}", path)]


def json_body(schema: str) -> dict:
    """A JSON request body of the component schema ``schema``."""
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
