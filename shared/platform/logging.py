"""JSON logging with personal data masked, and the per-worker log context (design.md §3, §5; W4).

Every line the process writes through ``logging`` or structlog is one JSON object with ``timestamp``
(ISO 8601, UTC), ``level``, ``service``, ``logger``, ``event`` and whatever is bound in the context
(``correlation_id`` is the filing id, bound for the whole journey of a filing). Before rendering, every event
is passed through :func:`mask_event`: personal data never reaches a log line in plaintext, whether it came as
a named field, inside free text, in a nested structure, in a stdlib ``%s`` argument or in a traceback.

Usage in a service module::

    log = get_logger(__name__)

    class IntakeService:
        log_context = LogContext()

        @rpc
        def submit(self, payload):
            filing = ...
            self.log_context(correlation_id=filing.id)
            log.info("filing submitted", website=filing.domain)

``nameko run`` configures stdlib logging itself; the service's entry point (or a dependency's ``setup()``)
calls :func:`configure_logging` once afterwards, which replaces those plain handlers.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import IO, Any

import structlog
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler

__all__ = [
    "LogContext",
    "bind_correlation",
    "clear_context",
    "configure_logging",
    "correlation_id_of",
    "get_logger",
    "mask_event",
    "mask_pii",
]

CORRELATION_HEADER = "X-Correlation-Id"
# A correlation id from an HTTP header is untrusted input: bound its size so a client cannot bloat every line.
_MAX_CORRELATION_ID_LENGTH = 128

# --- masking --------------------------------------------------------------------------------

# Resident identity card number (GB 11643): 17 digits and a check character. The date and check digit are not
# validated on purpose: masking a look-alike costs nothing, missing a real one with a typo leaks it.
_ID_NUMBER_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
# Mainland mobile numbers, with an optional +86 / 0086 prefix and the usual 3-4-4 separators.
_MOBILE_RE = re.compile(r"(?<!\d)((?:\+86|0086|86)[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)"
)


def _mask_text(text: str) -> str:
    """``text`` with every resident ID number, mobile number and e-mail address in it masked."""
    text = _ID_NUMBER_RE.sub(lambda m: f"{m[1]}********{m[2]}", text)
    text = _MOBILE_RE.sub(lambda m: f"{m[1] or ''}{m[2]}****{m[3]}", text)
    return _EMAIL_RE.sub(lambda m: f"{m[1]}***@{m[2]}", text)


def _mask_document(value: str) -> str:
    if len(value) == 18:
        return f"{value[:6]}********{value[-4:]}"
    if len(value) >= 8:
        return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"
    return "*" * len(value)


def _mask_phone(value: str) -> str:
    if len(value) >= 8:
        return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"
    return "*" * len(value)


def _mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "*" * len(value)
    return f"{local[0]}***@{domain}"


def _mask_address(value: str) -> str:
    # Keep at most the first 6 characters (province and city) so a line still says roughly where.
    keep = min(6, len(value) // 2)
    return f"{value[:keep]}****"


def _mask_person_name(value: str) -> str:
    # The surname alone does not identify a person.
    return f"{value[:1]}{'*' * max(len(value) - 1, 1)}" if value else value


def _mask_photo(_value: str) -> str:
    return "<redacted>"


# Field names that denote personal data, and how their values are masked. A key matches when it equals one of
# these names or ends with ``_<name>`` (``sponsor_mobile``, ``legal_id_number``).
_KEY_MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": _mask_document,
    "document_number": _mask_document,
    "mobile": _mask_phone,
    "phone": _mask_phone,
    "email": _mask_email,
    "address": _mask_address,
    "person_name": _mask_person_name,
    "contact_name": _mask_person_name,
    "full_name": _mask_person_name,
    "photo": _mask_photo,
}
# office_phone, home_phone, postal_address, responsible_person_name... match through the suffix rule.
_KEY_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "mobile_phone": "mobile",
    "mobile_number": "mobile",
    "phone_number": "phone",
    "telephone": "phone",
}
# Machine addresses are not a person's address: leave them readable for ops.
_NOT_PERSONAL = ("ip_address", "mac_address", "server_address", "bind_address", "listen_address")


def _masker_for_key(key: object) -> Callable[[str], str] | None:
    if not isinstance(key, str):
        return None
    name = key.lower().replace("-", "_")
    if _names_kind(name, _NOT_PERSONAL):
        return None
    for alias, kind in _KEY_ALIASES.items():
        if _names_kind(name, (alias,)):
            return _KEY_MASKERS[kind]
    for kind, masker in _KEY_MASKERS.items():
        if _names_kind(name, (kind,)):
            return masker
    return None


def mask_field(key: str, value: str) -> str:
    """Mask the value of one personal field named ``key`` by its kind (``document_number``, ``mobile``,
    ``email``, ``postal_address`` …); any other key, such as a person's ``name``, masks as a name."""
    return (_masker_for_key(key) or _mask_person_name)(value)


def _names_kind(name: str, kinds: tuple[str, ...]) -> bool:
    return any(name in (kind, kind + "s") or name.endswith(("_" + kind, "_" + kind + "s")) for kind in kinds)


def _mask_as(value: Any, masker: Callable[[str], str]) -> Any:
    """Mask every leaf of ``value`` (a named personal-data field) with the masker of its kind."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {_mask_key(k): _mask_as(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_as(v, masker) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return "<redacted>"
    return masker(str(value))


def _mask_key(key: Any) -> Any:
    return _mask_text(key) if isinstance(key, str) else key


def mask_pii(value: Any) -> Any:
    """Return ``value`` with personal data masked; ``value`` itself is not modified.

    Strings are scanned for resident ID numbers (``110105********002X``), mobile numbers (``138****8000``) and
    e-mail addresses (``z***@example.com``). Mappings are masked key by key: a key that names personal data
    (``id_number``, ``mobile``, ``office_phone``, ``postal_address``, ``responsible_person_name``,
    ``photo``...) has its whole value masked by kind, whatever it looks like. Lists, tuples and sets become
    lists. Integers are returned unchanged unless their digits are a mobile or ID number. Bytes become
    ``"<redacted>"``. Any other object is turned into its ``str()`` and scanned, because a renderer would
    otherwise print its repr unmasked. Masking is idempotent.
    """
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, int):
        masked = _mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, Mapping):
        return mask_event(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_pii(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return "<redacted>"
    return _mask_text(str(value))


def mask_event(event_dict: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``event_dict`` (a log event, or any mapping) with personal data masked as by
    :func:`mask_pii`: values of personal-data keys are masked by kind, every other value is scanned."""
    masked: dict[str, Any] = {}
    for key, value in event_dict.items():
        masker = _masker_for_key(key)
        masked[_mask_key(key)] = mask_pii(value) if masker is None else _mask_as(value, masker)
    return masked


def _mask_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return mask_event(event_dict)


def _mask_foreign_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # structlog events were masked in their own chain, before any handler saw them.
    if event_dict.get("_from_structlog"):
        return event_dict
    meta = {key: event_dict.pop(key) for key in ("_record", "_from_structlog") if key in event_dict}
    return {**mask_event(event_dict), **meta}


# --- configuration --------------------------------------------------------------------------


class _JsonHandler(logging.StreamHandler):
    """The root handler :func:`configure_logging` installs; its class marks it for replacement.

    Without an explicit stream it writes to whatever ``sys.stdout`` is at the time of each record, so a
    redirected or captured stdout still receives every line."""

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__(stream)
        self._follow_stdout = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stdout:
            self.stream = sys.stdout
        super().emit(record)


def is_configured() -> bool:
    """True once :func:`configure_logging` has installed its handler in this process."""
    return any(type(handler) is _JsonHandler for handler in logging.getLogger().handlers)


def _service_adder(service: str) -> Callable[..., dict[str, Any]]:
    def add_service(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        # A service bound in the context (LogContext) wins over the process default.
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


def configure_logging(service: str, *, level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every log line of the process, from structlog and from stdlib ``logging`` (nameko, kombu,
    werkzeug, eventlet.wsgi), to ``stream`` (default ``sys.stdout``) as one masked JSON object per line.

    ``service`` is the default ``service`` field (a bound ``service`` overrides it); ``level`` is the root
    level name. Calling it again replaces the previous configuration (new stream, level, service), never adds
    a second handler. Plain ``StreamHandler``s on the root logger (``nameko run``'s ``basicConfig``) are
    removed so that nothing is written unmasked; other handlers (files, test capture) are left in place.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _service_adder(service),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            # Masked here, not only in the formatter, so that no other handler (a file, a test capture) sees
            # the plaintext in the record.
            _mask_processor,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        # Not cached: a reconfiguration must reach module-level loggers that have already logged.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            _mask_foreign_processor,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = _JsonHandler(stream)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in list(root.handlers):
        if type(old) in (_JsonHandler, logging.StreamHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def get_logger(name: str | None = None) -> Any:
    """A structlog logger named ``name`` (default: the calling module's ``__name__``)."""
    if name is None:
        name = sys._getframe(1).f_globals.get("__name__", "root")
    return structlog.stdlib.get_logger(name)


# --- context --------------------------------------------------------------------------------


def bind_correlation(correlation_id: str | None, **more: Any) -> None:
    """Bind ``correlation_id`` (the filing id; skipped when ``None``) and ``more`` into every following log
    line of the current greenthread."""
    if correlation_id is not None:
        more["correlation_id"] = correlation_id
    structlog.contextvars.bind_contextvars(**more)


def clear_context() -> None:
    """Forget everything bound in the current greenthread's log context."""
    structlog.contextvars.clear_contextvars()


def correlation_id_of(worker_ctx: Any) -> str | None:
    """The correlation id a nameko worker carries, or ``None``.

    Looked up, in order: the envelope of an event handler (``args[0]["meta"]["correlation_id"]``), the
    ``X-Correlation-Id`` header of an HTTP request, the worker's context data (RPC calls and events dispatched
    by a worker whose context has a ``correlation_id``).
    """
    entrypoint = worker_ctx.entrypoint
    args = worker_ctx.args
    if isinstance(entrypoint, EventHandler) and args and isinstance(args[0], Mapping):
        meta = args[0].get("meta")
        if isinstance(meta, Mapping) and meta.get("correlation_id"):
            return str(meta["correlation_id"])
    if isinstance(entrypoint, HttpRequestHandler) and args:
        headers = getattr(args[0], "headers", None)
        value = headers.get(CORRELATION_HEADER) if headers is not None else None
        if value:
            return value.strip()[:_MAX_CORRELATION_ID_LENGTH]
    value = worker_ctx.data.get("correlation_id")
    return str(value) if value else None


def _bind_for_worker(worker_ctx: Any, **kv: Any) -> None:
    if kv.get("correlation_id") is not None:
        # Context data travels with the worker's outgoing RPC calls and events (nameko sends it as headers).
        worker_ctx.data["correlation_id"] = kv["correlation_id"]
    structlog.contextvars.bind_contextvars(**kv)


class LogContext(DependencyProvider):
    """Binds each worker's log context: ``service``, ``entrypoint``, ``call_id`` and, when found (see
    :func:`correlation_id_of`), ``correlation_id``, which is also kept in the worker's context data so that
    RPC calls made by the worker carry it. The context is cleared before and after each worker.

    The injected dependency is ``bind(**kv)``: it binds more keys for the rest of the worker (a use case
    that creates a filing binds ``correlation_id=filing.id``). Each eventlet greenthread has its own context
    (greenlet >= 1), so concurrent workers never see each other's keys.
    """

    def setup(self) -> None:
        """Every process that runs a service logs JSON, masked, from the moment its container is set up;
        a process (or test) that configured logging itself keeps its configuration."""
        if not is_configured():
            configure_logging(self.container.service_name, level=self.container.config.get("LOG_LEVEL", "INFO"))

    def get_dependency(self, worker_ctx: Any) -> Callable[..., None]:
        return partial(_bind_for_worker, worker_ctx)

    def worker_setup(self, worker_ctx: Any) -> None:
        clear_context()
        context = {
            "service": self.container.service_name,
            "entrypoint": worker_ctx.entrypoint.method_name,
            "call_id": worker_ctx.call_id,
        }
        correlation_id = correlation_id_of(worker_ctx)
        if correlation_id is not None:
            context["correlation_id"] = correlation_id
        _bind_for_worker(worker_ctx, **context)

    def worker_teardown(self, worker_ctx: Any) -> None:
        clear_context()
