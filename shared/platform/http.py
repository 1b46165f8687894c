"""JSON over nameko ``@http``: body limits, JSON parsing with field errors, and errors mapped to 4xx.

Every error body is ``{"error": {"code", "message", "errors": [{field, code, message, rule}]}}``, unmatched
routes (404), methods (405) and over-long request lines (414) included. An unexpected exception becomes a 500
whose body says nothing about the internals (no personal data leaks through error text).

**Limits** (issue 17; README "Errors and limits"), each a 4xx in that shape naming what is wrong:

- the body, sent with ``Content-Length`` or ``Transfer-Encoding: chunked``, is at most the route's ``max_body``
  (:data:`DEFAULT_MAX_BODY` unless the route says otherwise): 413 ``payload_too_large``;
- a JSON body nests at most :data:`MAX_JSON_DEPTH` arrays/objects (400 ``too_deep``), its integers have at most
  :data:`MAX_JSON_INT_DIGITS` digits (400 ``number_too_long``), its numbers are finite (400 ``number``), and its
  strings and keys hold no lone UTF-16 surrogate (400 ``surrogate``: no database or encoder takes one) and no NUL
  (400 ``nul``);
- the request line (method, URL, version) is shorter than eventlet's ``MAX_REQUEST_LINE`` (8192) bytes, the
  server's ``url_length_limit``: 414 ``uri_too_long``.

A 4xx is an answer, not a fault: it is logged once, at info, without a traceback (``http_client_error``).

**Language** (issue 19, X6): every error answer is rendered here, once for every service, in the language the
request's ``Accept-Language`` negotiates (:func:`shared.i18n.negotiate`: Simplified Chinese unless the caller
prefers English): the answer's and each field error's ``message`` come from the message catalogue by ``code``
(:func:`shared.i18n.localise_error`); ``code``, ``field`` and ``rule`` stay as they are for machines. A request
line too long to read is answered before any header is read, so in Chinese.
"""

import io
import json
import logging
import math
import re
from functools import partial

import structlog
from eventlet.event import Event
from marshmallow import RAISE, Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from shared.contracts.errors import (
    BadRequest,
    FieldError,
    NotFound,
    PayloadTooLarge,
    WireError,
    field_errors,
    from_marshmallow,
)
from shared.i18n import DEFAULT_LOCALE, localise_error, negotiate

log = structlog.get_logger(__name__)

DEFAULT_MAX_BODY = 256 * 1024
MAX_JSON_DEPTH = 32
MAX_JSON_INT_DIGITS = 20  # a signed 64-bit integer has 19; nothing the services take is longer
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def locale_of(request: Request) -> str:
    """The locale to answer ``request`` in (its ``Accept-Language``; Simplified Chinese by default)."""
    return negotiate(request.headers.get("Accept-Language"))


def error_response(exc: WireError, locale: str = DEFAULT_LOCALE, headers: dict | None = None) -> Response:
    """``exc`` as its JSON answer, what a person reads in ``locale``."""
    return json_response(exc.status, localise_error(exc.to_dict(), locale), headers)


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def size_text(size: int) -> str:
    """``262144`` -> ``256 KiB``: a size a person reads (the units read the same in every language)."""
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body exceeds {limit} bytes",
        field_errors(FieldError("body", "too_large", f"The body may be at most {limit} bytes.", "API",
                                {"limit": size_text(limit)})),
    )


class MethodNotAllowedError(WireError):
    status = 405
    code = "method_not_allowed"


class UriTooLong(WireError):
    status = 414
    code = "uri_too_long"


def _log_client_error(exc: WireError, **where) -> None:
    log.info("http_client_error", status=exc.status, code=exc.code, **where)


def route_error(exc: HTTPException, locale: str = DEFAULT_LOCALE) -> Response:
    """The JSON answer to a request no route takes: 404 (no such path) or 405 (path without that method)."""
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        error = MethodNotAllowedError("method not allowed", field_errors(FieldError(
            "method", "not_allowed", f"This URL takes {allowed}.", "API", {"allowed": allowed})))
        headers = {"Allow": allowed}
    else:
        error = NotFound("no such URL", field_errors(FieldError("url", "no_route", "No route has this URL.", "API")))
        headers = None
    _log_client_error(error)
    return error_response(error, locale, headers)


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, with unmatched routes and methods answered in JSON."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except RequestRedirect as redirect:
            return redirect(environ, start_response)
        except HTTPException as exc:
            response = route_error(exc, locale_of(request))
        else:
            request.path_values = values
            response = provider.handle_request(request)
        return response(environ, start_response)


class JsonProtocol(HttpOnlyProtocol):
    """eventlet's protocol, whose 414 (request line too long, refused before any application runs) is JSON."""

    def _read_request_line(self):
        # eventlet's handle_one_request writes a bodiless 414 itself right after reading the line; answering here,
        # and handing it an empty line (which ends the connection), is the one place before that.
        line = super()._read_request_line()
        if len(line) < self.server.url_length_limit:
            return line
        limit = self.server.url_length_limit - 1
        error = UriTooLong("request line too long", field_errors(FieldError(
            "url", "too_long", f"The request line may be at most {limit} bytes.", "API", {"limit": limit})))
        body = json.dumps(localise_error(error.to_dict()), ensure_ascii=False).encode()
        self.wfile.write(b"HTTP/1.0 414 Request URI Too Long\r\nConnection: close\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        _log_client_error(error)
        self.close_connection = 1
        return ""


class _AnsweredClientErrors(logging.Filter):
    """nameko logs every expected exception of a worker at warning with its traceback; a 4xx that an HTTP
    entrypoint answers is logged once instead, by :meth:`JsonHttp.response_from_exception`, at info."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        worker_ctx = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not (isinstance(exc, WireError) and exc.status < 500
                    and isinstance(getattr(worker_ctx, "entrypoint", None), JsonHttp))


_ANSWERED_CLIENT_ERRORS = _AnsweredClientErrors()


class JsonWebServer(WebServer):
    """nameko's web server with JSON errors before routing (:class:`JsonWsgiApp`, :class:`JsonProtocol`)."""

    def setup(self):
        super().setup()
        logging.getLogger("nameko.containers").addFilter(_ANSWERED_CLIENT_ERRORS)

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonProtocol, debug=False):
        return super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)


class JsonHttp(HttpRequestHandler):
    """``@http`` whose errors are JSON; ``max_body`` bounds the request body, sized or chunked, before any
    worker runs. Every route of a service must use it (nameko's plain ``@http`` would start a second server on
    the same port)."""

    server = JsonWebServer()

    def __init__(self, method: str, url: str, *, max_body: int = DEFAULT_MAX_BODY, **kwargs):
        kwargs.setdefault("expected_exceptions", WireError)
        self.max_body = max_body
        super().__init__(method, url, **kwargs)

    def handle_request(self, request: Request) -> Response:
        locale = locale_of(request)
        if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in request.args.items(True)):
            # No database stores NUL in text: refuse it at the edge rather than fail in the worker (issue 8).
            return self.response_from_exception(BadRequest("the URL contains a NUL character", field_errors(
                FieldError("query", "nul", "Remove the NUL (\\u0000) character.", "API"))), locale)
        if request.environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            try:
                _dechunk(request.environ, self.max_body)
            except (ValueError, OSError):
                return self.response_from_exception(body_error(
                    "request body is not valid chunked encoding", "chunked", "Send valid chunked encoding."), locale)
        if request.content_length is not None and request.content_length > self.max_body:
            return self.response_from_exception(too_large(self.max_body), locale)
        request.max_content_length = self.max_body
        # nameko's handle_request, with the request's locale handed to the error's rendering
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            return self.response_from_result(event.wait())
        except Exception as exc:
            return self.response_from_exception(exc, locale)

    def response_from_exception(self, exc: Exception, locale: str = DEFAULT_LOCALE) -> Response:
        if isinstance(exc, RequestEntityTooLarge):
            exc = too_large(self.max_body)
        if isinstance(exc, WireError):
            if exc.status < 500:
                _log_client_error(exc, entrypoint=self.method_name)
            return error_response(exc, locale)
        if isinstance(exc, HTTPException):
            body = {"error": {"code": "http", "message": exc.name, "errors": []}}
            return json_response(exc.code or 400, localise_error(body, locale))
        log.error("http_unhandled_error", error_type=type(exc).__name__)
        body = {"error": {"code": "internal", "message": "internal error", "errors": []}}
        return json_response(500, localise_error(body, locale))


http = JsonHttp.decorator


def _dechunk(environ: dict, limit: int) -> None:
    """Read a chunked body (eventlet's input decodes the chunks) up to one byte past ``limit`` and hand it on as
    a sized one: Werkzeug reads a stream without ``Content-Length`` as empty, and the limit is then checked as
    for any sized body, before a worker starts."""
    data = environ["wsgi.input"].read(limit + 1)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    del environ["HTTP_TRANSFER_ENCODING"]


def body_error(message: str, code: str, detail: str, params: dict | None = None) -> BadRequest:
    return BadRequest(message, field_errors(FieldError("body", code, detail, "API", params)))


class _NumberTooLong(ValueError):
    pass


class _NotFinite(ValueError):
    pass


def _parse_int(digits: str) -> int:
    # Python refuses to convert over 4300 digits with a ValueError of its own; refuse far earlier, and say why.
    if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise _NumberTooLong
    return int(digits)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotFinite
    return number


def _parse_constant(name: str):
    raise _NotFinite  # NaN, Infinity, -Infinity: not JSON


def read_json(request: Request):
    """The decoded JSON body within the limits of the module docstring, or ``BadRequest`` naming the problem
    and where it is."""
    raw = request.get_data(cache=True)
    if not raw:
        raise body_error("request body is empty", "required", "Send a JSON object.")
    try:
        document = json.loads(raw, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except UnicodeDecodeError:
        raise body_error("request body is not UTF-8", "encoding", "Send UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        message = f"Malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}."
        raise body_error("request body is not valid JSON", "malformed_json", message,
                         {"line": exc.lineno, "column": exc.colno}) from None
    except _NumberTooLong:
        raise body_error("request body has an integer too long", "number_too_long",
                         f"Integers may have at most {MAX_JSON_INT_DIGITS} digits.",
                         {"limit": MAX_JSON_INT_DIGITS}) from None
    except _NotFinite:
        raise body_error("request body has a number out of range", "number",
                         "Numbers must be finite (no NaN, Infinity or overflowing exponent).") from None
    except RecursionError:
        raise _too_deep() from None
    _check_text_and_depth(document)
    return document


def load_json(request: Request, schema: Schema, *, partial: bool = False) -> dict:
    """Parse and type-check the body against ``schema``; unknown fields are errors (they are typos)."""
    body = read_json(request)
    if not isinstance(body, dict):
        raise body_error("request body must be a JSON object", "type", "Send a JSON object.")
    try:
        return schema.load(body, partial=partial, unknown=RAISE)
    except ValidationError as exc:
        errors = from_marshmallow(exc.messages, rule="API")
        raise BadRequest("request body has invalid fields", errors) from None


def _too_deep() -> BadRequest:
    return body_error("request body is nested too deeply", "too_deep",
                      f"Arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep.", {"limit": MAX_JSON_DEPTH})


def _check_text_and_depth(document) -> None:
    """Walk the document without recursion: nesting within MAX_JSON_DEPTH, and no NUL (no database column
    stores it) or lone surrogate (no encoder writes it) in any key or string."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            if isinstance(value, dict):
                for key in value:
                    _check_text(key)
                value = value.values()
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise body_error("request body contains a NUL character", "nul", "Remove the NUL (\\u0000) character.")
    if _SURROGATE.search(text):
        raise body_error("request body contains a lone surrogate", "surrogate",
                         "Remove the unpaired UTF-16 surrogate (\\ud800-\\udfff) escape.")
