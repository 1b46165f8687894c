"""JSON logging, PII masking and the per-worker log context (shared/platform/logging.py)."""

import io
import json
import logging
from types import SimpleNamespace

import eventlet
import pytest
import structlog
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.platform.logging import (
    LogContext,
    bind_correlation,
    clear_context,
    configure_logging,
    get_logger,
    mask_event,
    mask_pii,
)

ID_NUMBER = "11010519491231002X"
ID_MASKED = "110105********002X"
MOBILE = "13800138000"
MOBILE_MASKED = "138****8000"
EMAIL = "zhang.san@example.com"
EMAIL_MASKED = "z***@example.com"


@pytest.fixture
def log_stream():
    """Logging configured to a string buffer; the previous logging state is restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("testsvc", stream=stream)
    clear_context()
    yield stream
    clear_context()
    structlog.reset_defaults()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def lines(stream):
    """Every line written so far, each parsed as JSON (fails if any line is not a JSON object)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- shape of a line ------------------------------------------------------------------------------


@pytest.mark.unit
def test_each_line_is_one_json_object_with_the_standard_fields(log_stream):
    get_logger("shared.tests").info("filing received", website="example.cn")
    logging.getLogger("kombu").warning("connection lost")

    first, second = lines(log_stream)
    assert first["event"] == "filing received"
    assert first["level"] == "info"
    assert first["service"] == "testsvc"
    assert first["logger"] == "shared.tests"
    assert first["website"] == "example.cn"
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert second == {**second, "event": "connection lost", "level": "warning", "logger": "kombu"}


@pytest.mark.unit
def test_get_logger_defaults_to_the_calling_module(log_stream):
    get_logger().info("hello")

    assert lines(log_stream)[0]["logger"] == __name__


@pytest.mark.unit
def test_configuring_twice_replaces_the_handler_and_the_stream(log_stream):
    other = io.StringIO()
    configure_logging("other", stream=other)
    configure_logging("other", stream=other, level="warning")

    get_logger("x").info("dropped below the level")
    get_logger("x").warning("kept")
    logging.getLogger("nameko").warning("stdlib kept")

    assert log_stream.getvalue() == ""
    assert [(line["event"], line["service"]) for line in lines(other)] == [
        ("kept", "other"),
        ("stdlib kept", "other"),
    ]


@pytest.mark.unit
def test_bound_context_appears_in_every_line_until_cleared(log_stream):
    bind_correlation("F-2024-0001", step="precheck")
    get_logger("x").info("one")
    logging.getLogger("nameko").info("two")
    clear_context()
    get_logger("x").info("three")

    one, two, three = lines(log_stream)
    assert one["correlation_id"] == two["correlation_id"] == "F-2024-0001"
    assert one["step"] == two["step"] == "precheck"
    assert "correlation_id" not in three and "step" not in three


@pytest.mark.unit
def test_bind_correlation_with_none_binds_only_the_other_keys(log_stream):
    bind_correlation(None, step="intake")
    get_logger("x").info("one")

    (one,) = lines(log_stream)
    assert "correlation_id" not in one and one["step"] == "intake"


# --- masking: the pure functions ------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("W4")
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (ID_NUMBER, ID_MASKED),
        ("110105194912310021", "110105********0021"),
        ("id 11010519491231002x.", "id 110105********002x."),
        (MOBILE, MOBILE_MASKED),
        ("call +86 138 0013 8000 now", "call +86 138****8000 now"),
        ("电话13800138000。", "电话138****8000。"),
        (EMAIL, EMAIL_MASKED),
        ("mail <Zhang.San+icp@mail.example.com.cn>", "mail <Z***@mail.example.com.cn>"),
        ("order 123456 at 12:00, version 1.2.3", "order 123456 at 12:00, version 1.2.3"),
    ],
)
def test_mask_pii_masks_identifiers_in_free_text(text, masked):
    assert mask_pii(text) == masked
    assert mask_pii(masked) == masked  # idempotent


@pytest.mark.unit
@pytest.mark.req("W4")
@pytest.mark.parametrize(
    ("key", "value", "masked"),
    [
        ("id_number", "G12345678", "G1*****78"),
        ("document_number", ID_NUMBER, ID_MASKED),
        ("mobile", MOBILE, MOBILE_MASKED),
        ("phone", "13900139000", "139****9000"),
        ("office_phone", "010-12345678", "010*****5678"),
        ("home_phone", "0571-8888 6666", "057*******6666"),
        ("email", "li@example.org", "l***@example.org"),
        ("sponsor_email_address", "li@example.org", "l***@example.org"),
        ("address", "北京市朝阳区建国路88号院3号楼", "北京市朝阳区****"),
        ("address", "某村12号", "某村****"),
        ("postal_address", "浙江省杭州市西湖区文三路", "浙江省杭州市****"),
        ("responsible_person_name", "张三丰", "张**"),
        ("photo", "https://oss.example/p/1.jpg", "<redacted>"),
        ("photo", b"\xff\xd8\xff\xe0", "<redacted>"),
        ("mobile", 13800138000, MOBILE_MASKED),
    ],
)
def test_mask_event_masks_personal_data_keys_by_kind(key, value, masked):
    assert mask_event({key: value, "keep": "as is"}) == {key: masked, "keep": "as is"}


@pytest.mark.unit
@pytest.mark.req("W4")
def test_mask_event_leaves_non_personal_fields_and_machine_addresses():
    event = {"event": "x", "name": "precheck", "ip_address": "10.0.0.1", "count": 3, "ok": True, "none": None}

    assert mask_event(event) == event


@pytest.mark.unit
@pytest.mark.req("W4")
def test_mask_pii_masks_nested_structures_without_modifying_them():
    value = {
        "sponsor": {"mobile": MOBILE, "contacts": [{"email": EMAIL}, f"backup {MOBILE}"]},
        "ids": (ID_NUMBER,),
        "responsible_person": {"person_name": "王五", "id_number": ID_NUMBER},
        "office_phones": ["010-12345678"],
    }

    masked = mask_pii(value)

    assert masked == {
        "sponsor": {
            "mobile": MOBILE_MASKED,
            "contacts": [{"email": EMAIL_MASKED}, f"backup {MOBILE_MASKED}"],
        },
        "ids": [ID_MASKED],
        "responsible_person": {"person_name": "王*", "id_number": ID_MASKED},
        "office_phones": ["010*****5678"],
    }
    assert value["sponsor"]["mobile"] == MOBILE


@pytest.mark.unit
@pytest.mark.req("W4")
def test_mask_pii_turns_unknown_objects_into_masked_text():
    class Sponsor:
        def __repr__(self):
            return f"Sponsor(mobile={MOBILE})"

        __str__ = __repr__

    assert mask_pii(Sponsor()) == f"Sponsor(mobile={MOBILE_MASKED})"
    assert mask_pii(42) == 42
    assert mask_pii(int(MOBILE)) == MOBILE_MASKED


# --- masking: what reaches the stream -------------------------------------------------------------


def assert_nowhere(stream, *plaintexts):
    output = stream.getvalue()
    for plaintext in plaintexts:
        assert plaintext not in output
        assert json.dumps(plaintext).strip('"') not in output


@pytest.mark.unit
@pytest.mark.req("W4")
def test_structlog_fields_and_message_are_masked(log_stream):
    get_logger("x").info(
        f"sponsor {MOBILE} registered",
        id_number=ID_NUMBER,
        mobile=MOBILE,
        email=EMAIL,
        responsible_person_name="张三",
        postal_address="北京市朝阳区建国路88号",
        photo="evidence/photo-1.jpg",
        note=f"contact {EMAIL} or {ID_NUMBER}",
        payload={"sponsor": {"home_phone": "010-87654321", "tags": [MOBILE]}},
    )

    (line,) = lines(log_stream)
    assert line["event"] == f"sponsor {MOBILE_MASKED} registered"
    assert line["id_number"] == ID_MASKED
    assert line["mobile"] == MOBILE_MASKED
    assert line["email"] == EMAIL_MASKED
    assert line["responsible_person_name"] == "张*"
    assert line["postal_address"] == "北京市朝阳区****"
    assert line["photo"] == "<redacted>"
    assert line["note"] == f"contact {EMAIL_MASKED} or {ID_MASKED}"
    assert line["payload"] == {"sponsor": {"home_phone": "010*****4321", "tags": [MOBILE_MASKED]}}
    assert_nowhere(log_stream, ID_NUMBER, MOBILE, EMAIL, "张三", "建国路88号", "010-87654321", "photo-1")


@pytest.mark.unit
@pytest.mark.req("W4")
def test_stdlib_records_and_their_arguments_are_masked(log_stream):
    logging.getLogger("nameko").warning("bad id %s from %s", ID_NUMBER, EMAIL)
    logging.getLogger("werkzeug").info("sponsor %(mobile)s", {"mobile": MOBILE})

    first, second = lines(log_stream)
    assert first["event"] == f"bad id {ID_MASKED} from {EMAIL_MASKED}"
    assert first["logger"] == "nameko"
    assert second["event"] == f"sponsor {MOBILE_MASKED}"
    assert_nowhere(log_stream, ID_NUMBER, MOBILE, EMAIL)


@pytest.mark.unit
@pytest.mark.req("W4")
def test_tracebacks_are_rendered_into_the_line_and_masked(log_stream):
    try:
        raise ValueError(f"invalid sponsor {ID_NUMBER} / {MOBILE}")
    except ValueError:
        logging.getLogger("nameko.containers").exception("error handling worker")
        get_logger("x").exception("use case failed", email=EMAIL)

    stdlib_line, structlog_line = lines(log_stream)
    for line in (stdlib_line, structlog_line):
        assert "Traceback (most recent call last)" in line["exception"]
        assert f"ValueError: invalid sponsor {ID_MASKED} / {MOBILE_MASKED}" in line["exception"]
    assert structlog_line["email"] == EMAIL_MASKED
    assert_nowhere(log_stream, ID_NUMBER, MOBILE, EMAIL)
    assert len(log_stream.getvalue().splitlines()) == 2  # the traceback did not spill onto raw lines


@pytest.mark.unit
@pytest.mark.req("W4")
def test_bound_context_values_are_masked(log_stream):
    bind_correlation("F-1", sponsor_mobile=MOBILE)
    get_logger("x").info("step")

    assert lines(log_stream)[0]["sponsor_mobile"] == MOBILE_MASKED
    assert_nowhere(log_stream, MOBILE)


# --- LogContext, with real WorkerContexts on a fake container -------------------------------------


def worker_ctx(entrypoint, method_name, args=(), data=None, service_name="probe"):
    entrypoint.method_name = method_name
    container = SimpleNamespace(config={}, service_name=service_name)
    return WorkerContext(container, None, entrypoint, args=args, data=data)


def log_context(service_name="probe"):
    provider = LogContext()
    provider.container = SimpleNamespace(service_name=service_name)
    return provider


def envelope(correlation_id):
    return {"meta": {"type": "filing_submitted.v1", "correlation_id": correlation_id}, "data": {}}


@pytest.mark.unit
def test_log_context_binds_worker_fields_and_the_event_envelope_correlation_id(log_stream):
    provider = log_context()
    ctx = worker_ctx(EventHandler("intake", "filing_submitted.v1"), "on_submitted", args=(envelope("F-7"),))

    provider.worker_setup(ctx)
    get_logger("x").info("handling")
    provider.worker_teardown(ctx)
    get_logger("x").info("after")

    handling, after = lines(log_stream)
    assert handling["service"] == "probe"
    assert handling["entrypoint"] == "on_submitted"
    assert handling["call_id"] == ctx.call_id
    assert handling["correlation_id"] == "F-7"
    assert ctx.data["correlation_id"] == "F-7"  # carried by the worker's outgoing calls
    assert "correlation_id" not in after and "call_id" not in after and after["service"] == "testsvc"


@pytest.mark.unit
def test_log_context_reads_the_http_header_and_rpc_context_data(log_stream):
    provider = log_context()
    request = Request(EnvironBuilder(path="/x", headers={"X-Correlation-Id": "F-http"}).get_environ())
    http_ctx = worker_ctx(HttpRequestHandler("GET", "/x"), "get_x", args=(request,))
    rpc_ctx = worker_ctx(Rpc(), "submit", data={"correlation_id": "F-rpc"})
    bare_ctx = worker_ctx(Rpc(), "ping")

    for ctx in (http_ctx, rpc_ctx, bare_ctx):
        provider.worker_setup(ctx)
        get_logger("x").info("in worker")
        provider.worker_teardown(ctx)

    http_line, rpc_line, bare_line = lines(log_stream)
    assert http_line["correlation_id"] == "F-http"
    assert rpc_line["correlation_id"] == "F-rpc"
    assert "correlation_id" not in bare_line and bare_line["entrypoint"] == "ping"


@pytest.mark.unit
def test_log_context_dependency_binds_more_keys_for_the_rest_of_the_worker(log_stream):
    provider = log_context()
    ctx = worker_ctx(Rpc(), "submit")

    provider.worker_setup(ctx)
    bind = provider.get_dependency(ctx)
    bind(correlation_id="F-new", website="example.cn")
    get_logger("x").info("created")
    provider.worker_teardown(ctx)

    (line,) = lines(log_stream)
    assert (line["correlation_id"], line["website"]) == ("F-new", "example.cn")
    assert ctx.data["correlation_id"] == "F-new"


@pytest.mark.unit
def test_concurrent_greenthreads_do_not_see_each_others_context(log_stream):
    provider = log_context()

    def worker(correlation_id):
        ctx = worker_ctx(EventHandler("intake", "x.v1"), "on_x", args=(envelope(correlation_id),))
        provider.worker_setup(ctx)
        for step in range(3):
            get_logger("x").info("step", worker=correlation_id, step=step)
            eventlet.sleep(0)  # let the other worker run and bind its own context in between
        provider.worker_teardown(ctx)

    pool = eventlet.GreenPool()
    for correlation_id in ("F-A", "F-B"):
        pool.spawn(worker, correlation_id)
    pool.waitall()

    seen = lines(log_stream)
    assert len(seen) == 6
    assert [line["worker"] for line in seen[:2]] == ["F-A", "F-B"]  # they really interleaved
    assert all(line["correlation_id"] == line["worker"] for line in seen)
