"""JSON over nameko ``@http``: body limits, JSON parsing with field errors, and errors mapped to 4xx.

Every error body is ``{"error": {"code", "message", "errors": [{field, code, message, rule}]}}``. An
unexpected exception becomes a 500 whose body says nothing about the internals (no personal data leaks
through error text).
"""

import json

import structlog
from marshmallow import RAISE, Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from shared.contracts.errors import (
    BadRequest,
    FieldError,
    PayloadTooLarge,
    WireError,
    field_errors,
    from_marshmallow,
)

log = structlog.get_logger(__name__)

DEFAULT_MAX_BODY = 256 * 1024


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body exceeds {limit} bytes",
        field_errors(FieldError("body", "too_large", f"The body may be at most {limit} bytes.", "API")),
    )


class JsonHttp(HttpRequestHandler):
    """``@http`` whose errors are JSON; ``max_body`` bounds the request body before any worker runs."""

    def __init__(self, method: str, url: str, *, max_body: int = DEFAULT_MAX_BODY, **kwargs):
        kwargs.setdefault("expected_exceptions", WireError)
        self.max_body = max_body
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        if request.content_length is not None and request.content_length > self.max_body:
            return self.response_from_exception(too_large(self.max_body))
        if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in request.args.items(True)):
            # No database stores NUL in text: refuse it at the edge rather than fail in the worker (issue 8).
            return self.response_from_exception(BadRequest("the URL contains a NUL character", field_errors(
                FieldError("query", "nul", "Remove the NUL (\\u0000) character.", "API"))))
        request.max_content_length = self.max_body
        return super().handle_request(request)

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, WireError):
            return json_response(exc.status, exc.to_dict())
        if isinstance(exc, RequestEntityTooLarge):
            return json_response(413, too_large(self.max_body).to_dict())
        if isinstance(exc, HTTPException):
            body = {"error": {"code": "http", "message": exc.name, "errors": []}}
            return json_response(exc.code or 400, body)
        log.error("http_unhandled_error", error_type=type(exc).__name__)
        return json_response(500, {"error": {"code": "internal", "message": "internal error", "errors": []}})


http = JsonHttp.decorator


def body_error(message: str, code: str, detail: str) -> BadRequest:
    return BadRequest(message, field_errors(FieldError("body", code, detail, "API")))


def read_json(request: Request):
    """The decoded JSON body, or ``BadRequest`` naming the problem and where it is."""
    raw = request.get_data(cache=True)
    if not raw:
        raise body_error("request body is empty", "required", "Send a JSON object.")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise body_error("request body is not UTF-8", "encoding", "Send UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        message = f"Malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}."
        raise body_error("request body is not valid JSON", "malformed_json", message) from None


def load_json(request: Request, schema: Schema, *, partial: bool = False) -> dict:
    """Parse and type-check the body against ``schema``; unknown fields are errors (they are typos)."""
    body = read_json(request)
    if _has_nul(body):
        raise body_error("request body contains a NUL character", "nul", "Remove the NUL (\\u0000) character.")
    if not isinstance(body, dict):
        raise body_error("request body must be a JSON object", "type", "Send a JSON object.")
    try:
        return schema.load(body, partial=partial, unknown=RAISE)
    except ValidationError as exc:
        errors = from_marshmallow(exc.messages, rule="API")
        raise BadRequest("request body has invalid fields", errors) from None


def _has_nul(value) -> bool:
    """A NUL anywhere in the JSON (keys or strings): no database column stores it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
