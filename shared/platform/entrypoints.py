"""One declaration per entrypoint (issue 18): what every service's HTTP routes, RPC methods and event handlers do
the same way, declared once where the method is written.

- :func:`route` is a service's ``@http``: it carries the access rule, the body and query schemas (read and
  validated before the method runs, errors naming the field), the answer's status and schema, the error statuses,
  and whether a POST is answered once per ``Idempotency-Key``. Every field error inside an answer (a draft's
  ``problems``, a decision's ``reasons``) is read in the request's language (``Accept-Language``, issue 19) as
  the answer is sent, a stored idempotent answer included. The access policy
  (:func:`access_rule`, read by :class:`shared.platform.auth.Guard`), the OpenAPI document
  (:func:`openapi_document`) and the access tests' route tables (:func:`routes`) are generated from it.
- :func:`rpc_entry` is ``@rpc`` with its access rule.
- :func:`handles` is a bounded event handler (:mod:`shared.platform.events`) that reads the envelope against its
  contract, claims the event id once for the handler (``processed_events``), calls the method with the event's
  data and meta, and commits: a redelivered event does nothing (design.md §4).

A service that uses them names its tables as class attributes: ``idempotency_keys`` (routes answered once) and
``processed_events`` (event handlers); its database session is ``self.db`` (:class:`shared.platform.db.Database`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

import structlog
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import RAISE, Schema, ValidationError, fields
from nameko.rpc import Rpc, rpc
from nameko.web.handlers import HttpRequestHandler
from sqlalchemy import Table
from sqlalchemy.orm import Session
from werkzeug.wrappers import Request, Response

from shared.contracts import EVENTS
from shared.contracts.errors import BadRequest, ErrorOutput, from_marshmallow
from shared.contracts.registry import InvalidEvent
from shared.i18n import localise_answer
from shared.platform.auth import ACCESS_ATTR, Rule
from shared.platform.events import PoisonEvent, event_handler
from shared.platform.http import DEFAULT_MAX_BODY, http, json_response, load_json, locale_of
from shared.platform.idempotency import IDEMPOTENCY_HEADER, check_key, claim_event, request_hash, run_once

log = structlog.get_logger(__name__)

ROUTE_ATTR = "icp_route"
PLATFORM_URLS = frozenset({"/healthz", "/metrics", "/openapi.json"})
"""Served on every service by the platform (design.md §1), not part of a service's own interface."""

ERROR_TEXT = {
    400: "Malformed JSON, wrong types, unknown fields, or a missing or malformed header or query parameter",
    401: "No bearer token, or one that is expired, tampered or not for this system (issue 8)",
    403: "The token's role may not do this (issue 8)",
    404: "No such resource, or not open to the caller",
    409: "Not allowed in the current state, or an Idempotency-Key reused for another request",
    413: "Body too large",
    415: "Unsupported media type",
    422: "The request breaks one or more rules (every problem is listed)",
    429: "Too many requests; try later",
    503: "A collaborator could not answer in time; try again",
}
"""What an error status means when a route does not say more (``errors={409: "..."}``)."""


@dataclass(frozen=True)
class Route:
    """One HTTP route as declared: everything the policy, the document and the access tests read."""

    name: str
    method: str
    url: str
    access: Rule
    summary: str
    body: Schema | None = None
    query: Schema | None = None
    answer: Schema | None = None
    status: int = 200
    errors: dict[int, str] = field(default_factory=dict)
    idempotent: bool = False
    parameters: dict[str, dict] = field(default_factory=dict)
    content: str | tuple[str, ...] = "application/json"
    upload: str | None = None

    @property
    def path(self) -> str:
        """The OpenAPI form of the URL: ``/filings/<filing_id>`` -> ``/filings/{filing_id}``."""
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", self.url)


def _errors(errors: Iterable[int] | dict[int, str]) -> dict[int, str]:
    if isinstance(errors, dict):
        return {int(code): text or ERROR_TEXT[int(code)] for code, text in errors.items()}
    return {int(code): ERROR_TEXT[int(code)] for code in errors}


def route(method: str, url: str, *, access: Rule, summary: str, body: Schema | None = None,
          query: Schema | None = None, answer: Schema | None = None, status: int = 200,
          errors: Iterable[int] | dict[int, str] = (), idempotent: bool | None = None,
          max_body: int = DEFAULT_MAX_BODY, partial: bool = False, parameters: dict[str, dict] | None = None,
          content: str | tuple[str, ...] = "application/json", upload: str | None = None, rule: str = "API"):
    """Declare an HTTP route. The method is called as ``method(self, request, **path_values)``, plus
    ``body=`` (the JSON body loaded by ``body``, ``partial`` for a PATCH) and ``query=`` (the query string loaded
    by ``query``; a query that breaks it is a 400 citing ``rule``) when declared. It returns the answer's body
    (sent as JSON with ``status``) or a ``Response``.

    ``idempotent`` (default: every POST) answers the request once per ``Idempotency-Key``, scoped to the verified
    caller, from the ``idempotency_keys`` table in the transaction of the answer (design.md §4); any other route
    commits ``self.db`` after the method returns. ``parameters`` adds to a path parameter's OpenAPI schema
    (``{"channel": {"enum": ["sms", "email"]}}``); ``content`` is the answer's media type (several: the first
    carries ``answer``, the others are documented as strings); ``upload`` the media type of a body the method reads
    itself (a scan, a CSV), documented as such instead of ``body``."""
    once = method == "POST" if idempotent is None else idempotent

    def decorate(fn: Callable) -> Callable:
        declared = Route(fn.__name__, method, url, access, summary, body, query, answer, status, _errors(errors),
                         once, dict(parameters or {}), content, upload)

        @functools.wraps(fn)
        def entrypoint(self, request: Request, **values):
            if body is not None:
                values["body"] = load_json(request, body, partial=partial)
            if query is not None:
                values["query"] = read_query(request, query, rule)
            if not once:
                result = fn(self, request, **values)
                self.db.commit()
                return result if isinstance(result, Response) else json_response(
                    status, localise_answer(result, locale_of(request)))
            key = check_key(request.headers.get(IDEMPOTENCY_HEADER))
            digest = request_hash(request.method, request.full_path, request.get_data(cache=True))
            code, answered = run_once(self.db, type(self).idempotency_keys, f"{self.caller.actor}:{key}", digest,
                                      lambda _session: (status, fn(self, request, **values)))
            return json_response(code, localise_answer(answered, locale_of(request)))

        setattr(entrypoint, ROUTE_ATTR, declared)
        setattr(entrypoint, ACCESS_ATTR, access)
        return http(method, url, max_body=max_body)(entrypoint)

    return decorate


def read_query(request: Request, schema: Schema, rule: str = "API") -> dict:
    """The query string loaded by ``schema`` (unknown parameters refused); a ``List`` field takes a repeated
    parameter. Errors are 400s naming each parameter and ``rule``."""
    raw = {name: values if isinstance(schema.fields.get(name), fields.List) else values[-1]
           for name, values in request.args.lists()}
    try:
        return schema.load(raw, unknown=RAISE)
    except ValidationError as exc:
        raise BadRequest("invalid query", from_marshmallow(exc.messages, rule=rule)) from None


def rpc_entry(*, access: Rule, **options):
    """``@rpc`` with its access rule (:class:`shared.platform.auth.Guard`); ``options`` are nameko's (e.g.
    ``expected_exceptions``, the errors that are answers rather than faults)."""

    def decorate(fn: Callable) -> Callable:
        setattr(fn, ACCESS_ATTR, access)
        return rpc(**options)(fn) if options else rpc(fn)

    return decorate


def handles(source: str, event_type: str, *, claim: str | None = None, route_config: str | None = None):
    """A bounded handler of ``event_type`` from ``source``, called as ``method(self, data, meta)`` once per event
    id: the claim (``claim``, default the method's name; keep a stored name when renaming a method, or replays of
    old events run again) and the method's writes commit together. An envelope that breaks its contract is a
    :class:`PoisonEvent`, dead-lettered at once. ``route_config``: for a routed contract, the config key that
    selects the one route the handler receives (:func:`shared.platform.events.binding`)."""

    def decorate(fn: Callable) -> Callable:
        handler = claim or fn.__name__

        @functools.wraps(fn)
        def entrypoint(self, envelope: dict):
            data = read_event(envelope)
            meta = envelope["meta"]
            if claim_event(self.db, type(self).processed_events, str(meta["id"]), handler):
                fn(self, data, meta)
            self.db.commit()

        return event_handler(source, event_type, route_config=route_config)(entrypoint)

    return decorate


def answer_once(session: Session, keys: Table, request: Request, actor: str, action, status: int = 200) -> Response:
    """Run ``action(actor) -> body`` once per ``Idempotency-Key`` (scoped to the verified ``actor``, so one
    caller can never replay another's answer), commit it with the stored answer, and answer replays of the same
    request from the store. For a route that decides inside its method whether it is answered once; a declared
    route says ``idempotent`` instead."""
    key = check_key(request.headers.get(IDEMPOTENCY_HEADER))
    req_hash = request_hash(request.method, request.full_path, request.get_data(cache=True))
    code, body = run_once(session, keys, f"{actor}:{key}", req_hash, lambda _session: (status, action(actor)))
    return json_response(code, localise_answer(body, locale_of(request)))


def read_event(envelope: dict) -> dict:
    """The envelope's data as its contract reads it; ``PoisonEvent`` for an envelope that can never be valid,
    so that the bounded handler dead-letters it at once (retrying cannot help) for ops to see."""
    try:
        return EVENTS.load(envelope)
    except InvalidEvent as exc:
        log.error("event_rejected", event_type=exc.event_type, errors=exc.errors)
        raise PoisonEvent(f"{exc.event_type} breaks its contract") from None


def access_rule(service: type, name: str) -> Rule | None:
    """The access rule declared on ``service``'s entrypoint ``name`` (None: undeclared, so denied)."""
    return getattr(getattr(service, name, None), ACCESS_ATTR, None)


def routes(service: type) -> list[Route]:
    """Every route ``service`` declares, in name order, the platform's own (``/openapi.json``) left out."""
    found = (getattr(getattr(service, name), ROUTE_ATTR, None) for name in dir(service))
    return sorted((r for r in found if r is not None and r.url not in PLATFORM_URLS), key=lambda r: r.name)


@cache
def openapi_document(service: type, description: str) -> dict:
    """``service``'s OpenAPI 3.0.3 document (``GET /openapi.json``), generated from its declared routes: schemas
    as components, ``ErrorOutput`` for every error, bearer security on every route that is not public, the
    ``Idempotency-Key`` header on every route answered once."""
    spec = APISpec(title=service.name, version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": description})
    spec.components.schema("ErrorOutput", schema=ErrorOutput)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    by_path: dict[str, dict] = {}
    for declared in routes(service):
        by_path.setdefault(declared.path, {})[declared.method.lower()] = _operation(spec, declared)
    for path, operations in sorted(by_path.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _component(spec: APISpec, schema: Schema) -> dict:
    name = type(schema).__name__
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=type(schema))
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(spec: APISpec, declared: Route) -> dict:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", **declared.parameters.get(name, {})}}
                  for name in re.findall(r"{([^}]+)}", declared.path)]
    if declared.query is not None:
        parameters.append({"in": "query", "schema": type(declared.query)})
    if declared.idempotent:
        parameters.append({"name": IDEMPOTENCY_HEADER, "in": "header", "required": True,
                           "schema": {"type": "string"}})
    errors = dict(declared.errors)
    if not declared.access.public:
        errors.setdefault(401, ERROR_TEXT[401])
        errors.setdefault(403, ERROR_TEXT[403])
    if declared.idempotent or declared.body is not None or declared.query is not None:
        errors.setdefault(400, ERROR_TEXT[400])
    if declared.method in {"POST", "PUT", "PATCH"}:
        errors.setdefault(413, ERROR_TEXT[413])
    answer = _component(spec, declared.answer) if declared.answer is not None else {"type": "object"}
    media = (declared.content,) if isinstance(declared.content, str) else declared.content
    operation = {
        "operationId": declared.name,
        "summary": declared.summary,
        "parameters": parameters,
        "responses": {
            str(declared.status): {"description": "OK", "content": {
                kind: {"schema": answer if kind == media[0] else {"type": "string"}} for kind in media}},
            **{str(code): {"description": text,
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}}}
               for code, text in sorted(errors.items())},
        },
    }
    if not declared.access.public:
        operation["security"] = [{"bearer": []}]
    if declared.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": _component(spec, declared.body)}}}
    elif declared.upload is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {declared.upload: {"schema": {"type": "string", "format": "binary"}}}}
    return operation


def _undeclared(service: type) -> list[str]:
    return [name for name in dir(service) if getattr(getattr(service, name), "nameko_entrypoints", None)
            and access_rule(service, name) is None]


def check_declared(service: type, open_entrypoints: Iterable[str] = ()) -> None:
    """Raise ``AssertionError`` naming every HTTP or RPC entrypoint of ``service`` without an access rule (timers
    and event handlers are not callers and need none)."""
    missing = [name for name in _undeclared(service) if name not in set(open_entrypoints) and any(
        isinstance(e, (HttpRequestHandler, Rpc)) for e in getattr(service, name).nameko_entrypoints)]
    assert not missing, f"{service.__name__}: entrypoints without an access rule: {missing}"


