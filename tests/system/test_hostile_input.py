"""Issue 17 point 2: no input gets a server error. Every service runs as a real process (eventlet's wsgi server,
as deployed), and every JSON route of every service gets generated bodies carrying the shapes that gave 500s:
nesting hundreds of levels deep, integers of thousands of digits, lone surrogate escapes, each sent with
``Content-Length`` or chunked. Every answer is a 4xx in the documented error shape (shared/contracts/errors.py),
unmatched routes, methods and over-long request lines included, and a 4xx is logged once at info, without a
traceback. The limits are shared/platform/http.py's (README "Working on it").
"""
import importlib
import json
import re
import socket
import time
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nameko.web.handlers import HttpRequestHandler

from shared.platform.entrypoints import access_rule
from shared.platform.entrypoints import routes as declared_routes
from shared.platform.http import MAX_JSON_DEPTH, MAX_JSON_INT_DIGITS
from shared.testing.http import sponsor_token, token

pytestmark = pytest.mark.system

PROVIDER = "provider-demo"  # intake's default PROVIDER_ID
EXAMPLES = 25
SIGN_IN_CODE = ("intake", "POST", "/sign-in/code")
EXPECTED_CODE = {"deep": "too_deep", "long_int": "number_too_long", "surrogate": "surrogate"}
_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _caller(rule) -> dict:
    if rule.public:
        return {}
    role = sorted(rule.roles)[0]
    bearer = sponsor_token() if role == "sponsor" else token(role, f"hostile-{role}", provider=PROVIDER,
                                                               province="京")
    return {"Authorization": f"Bearer {bearer}"}


def _json_routes(service: str) -> list[tuple[str, str, dict]]:
    """(method, concrete path, auth header) of every route of ``service`` that takes a body, with a caller its
    policy lets through (so the body is read, not refused at the door)."""
    module = importlib.import_module(f"{service}.service")
    cls = getattr(module, f"{service.capitalize()}Service")
    takes_body = {route.name for route in declared_routes(cls) if route.body is not None or route.upload}
    routes = []
    for name in sorted(takes_body):
        for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler) and entrypoint.method in ("POST", "PUT", "PATCH"):
                path = _PARAMETER.sub(lambda m: "1" if m[1] == "int" else "F0000000001", entrypoint.url)
                routes.append((entrypoint.method, path, _caller(access_rule(cls, name))))
    return routes


ROUTES = {service: _json_routes(service) for service in ("intake", "precheck", "verification", "bureau", "audit")}


def _lone_surrogate():
    return st.integers(0xD800, 0xDFFF).map(lambda point: f'"text\\u{point:04x}"')


def _hostile_value():
    """(kind, JSON text of one value) for each shape that gave a 500."""
    deep = st.tuples(st.integers(MAX_JSON_DEPTH + 1, 3000), st.sampled_from(["[", '{"a":'])).map(
        lambda spec: spec[1] * spec[0] + "1" + ("]" if spec[1] == "[" else "}") * spec[0])
    long_int = st.tuples(st.integers(MAX_JSON_INT_DIGITS + 1, 6000), st.sampled_from(["", "-"])).map(
        lambda spec: spec[1] + "9" * spec[0])
    return st.one_of(deep.map(lambda text: ("deep", text)), long_int.map(lambda text: ("long_int", text)),
                     _lone_surrogate().map(lambda text: ("surrogate", text)))


@st.composite
def hostile_bodies(draw):
    """A plausible JSON object with one hostile value (or a surrogate key) among ordinary fields."""
    fields = draw(st.dictionaries(st.sampled_from(["mobile", "code", "reasons", "note", "at", "name", "sponsor"]),
                                  st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
                                  max_size=3))
    kind, value = draw(_hostile_value())
    members = [json.dumps(key) + ": " + json.dumps(item) for key, item in fields.items()]
    if kind == "surrogate" and draw(st.booleans()):
        members.append(value + ": 1")
    else:
        key = draw(st.sampled_from(["x", "reasons", "at"]))
        members.insert(draw(st.integers(0, len(members))), f'"{key}": {value}')
    return kind, "{" + ", ".join(members) + "}", draw(st.booleans())


def _chunks(data: bytes, size: int = 700):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def _post(session, url, method, body: bytes, headers: dict, chunked: bool) -> requests.Response:
    # requests sends a generator as Transfer-Encoding: chunked, bytes with Content-Length
    return session.request(method, url, data=_chunks(body) if chunked else body, timeout=30,
                           headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex, **headers})


def assert_error_shape(response: requests.Response) -> dict:
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.text[:300]
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    for item in error["errors"]:
        assert set(item) - {"params"} == {"field", "code", "message", "rule"}  # params: what the sentence names
        assert isinstance(item.get("params", {}), dict)
    return error


@pytest.mark.req("W4")
def test_hostile_json_bodies_get_a_4xx_naming_the_limit_on_every_json_route(deployment):
    sessions = {service: requests.Session() for service in ROUTES}
    named = {service: set() for service in ROUTES}  # the limit codes each service's answers named

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(hostile_bodies())
    def every_route_answers_4xx(sample):
        kind, text, chunked = sample
        body = text.encode()
        for service, routes in ROUTES.items():
            for method, path, headers in routes:
                response = _post(sessions[service], deployment.url(service) + path, method, body, headers, chunked)
                where = f"{service} {method} {path} ({kind}, chunked={chunked}, {len(body)} bytes)"
                assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
                error = assert_error_shape(response)
                codes = {item["code"] for item in error["errors"]}
                named[service] |= codes
                if (service, method, path) == SIGN_IN_CODE:  # public: nothing before the body can refuse it
                    expected = "too_large" if len(body) > 1024 else EXPECTED_CODE[kind]
                    assert codes == {expected}, f"{where}: {error}"

    try:
        every_route_answers_4xx()
    finally:
        for session in sessions.values():
            session.close()  # an idle keep-alive connection would hold the web server's shutdown
    for service, codes in named.items():
        assert set(EXPECTED_CODE.values()) <= codes, f"{service}'s routes never named every limit: {codes}"


@pytest.mark.req("W4")
@pytest.mark.parametrize("service", ["intake", "precheck", "verification", "bureau", "audit", "notify"])
def test_unmatched_routes_methods_and_over_long_request_lines_answer_json(deployment, service):
    base = deployment.url(service)
    missing = requests.get(f"{base}/no/such/route", timeout=10)
    assert missing.status_code == 404
    assert assert_error_shape(missing)["code"] == "not_found"

    wrong_method = requests.delete(f"{base}/healthz", timeout=10)
    assert wrong_method.status_code == 405
    assert assert_error_shape(wrong_method)["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]

    status, headers, body = _raw_request(base, _request_line_of(8192))  # eventlet's limit: refused before routing
    assert status == 414
    assert headers.get("content-type") == "application/json"
    assert json.loads(body)["error"]["code"] == "uri_too_long"


def _request_line_of(size: int) -> bytes:
    prefix, suffix = b"GET /", b" HTTP/1.1\r\n"
    return prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix


def _raw_request(base: str, data: bytes) -> tuple[int, dict, bytes]:
    """Send ``data`` as is and read the answer until the server closes (eventlet closes after a 414)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.req("W4")
def test_a_chunked_body_is_read_and_bounded_like_a_sized_one(deployment):
    url = deployment.url("intake") + "/sign-in/code"
    body = json.dumps({"mobile": "no-phone"}).encode()
    sized = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    chunked = requests.post(url, data=_chunks(body, 5), headers={"Content-Type": "application/json"}, timeout=10)
    assert sized.status_code >= 400 and sized.json()["error"]["errors"][0]["field"] == "mobile", sized.text
    assert (chunked.status_code, chunked.json()) == (sized.status_code, sized.json())

    too_large = requests.post(url, data=_chunks(json.dumps({"mobile": "1" * 2000}).encode()), timeout=10,
                              headers={"Content-Type": "application/json"})
    assert too_large.status_code == 413
    assert assert_error_shape(too_large)["errors"][0]["code"] == "too_large"


@pytest.mark.req("W4")
def test_client_errors_are_logged_once_at_info_without_a_traceback(deployment):
    base = deployment.url("bureau")
    log = deployment.log("bureau")
    before = len(log.read_text(encoding="utf-8").splitlines())
    misses = 20
    for number in range(misses):
        answer = requests.get(f"{base}/public/filings", params={"domain": f"miss-{number}.example.cn"}, timeout=10)
        assert answer.status_code == 404, answer.text
    time.sleep(0.5)  # the service writes its log lines after answering
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()[before:]
             if line.startswith("{")]
    answered = [line for line in lines if line.get("event") == "http_client_error"]
    assert len(answered) == misses, lines[:5]
    assert {(line["level"], line["status"], line["entrypoint"]) for line in answered} == {
        ("info", 404, "public_query_http")}
    assert not [line for line in lines if line.get("level") in ("warning", "error") or "exception" in line]
    assert "Traceback" not in "".join(log.read_text(encoding="utf-8").splitlines()[before:])
