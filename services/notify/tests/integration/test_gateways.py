"""The gateway adapters against real loopback servers: the HTTP SMS gateway (fails, times out, refuses,
succeeds; signed requests) and SMTP; and the file sink."""

import email
import email.policy
import json
import socket
import time

import pytest

from notify.gateways import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryStatus,
    FileEmailSink,
    FileSmsSink,
    GatewayOutcomeUnknown,
    GatewayRejected,
    GatewayUnavailable,
    HttpSmsGateway,
    SmtpEmailGateway,
    signature,
)

pytestmark = pytest.mark.integration

SECRET = "test-signing-secret"
MOBILE = "13800138000"
TEXT = "您提交的网站备案信息未通过预核验，请修改后重新提交"


def http_gateway(url: str, **kwargs) -> HttpSmsGateway:
    options = {"timeout": 0.5, "retries": 2, "backoff": 0.01, **kwargs}
    return HttpSmsGateway(url, SECRET, **options)


def assert_signed(request: dict) -> None:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers[TIMESTAMP_HEADER.lower()]
    assert abs(int(timestamp) - time.time()) < 60
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET, timestamp, request["body"])
    assert headers["content-type"].startswith("application/json")


def test_success_posts_signed_json_once(sms_gateway):
    http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-1")

    assert len(sms_gateway.requests) == 1
    assert sms_gateway.bodies() == [{"to": MOBILE, "text": TEXT, "message_id": "m-1"}]
    assert_signed(sms_gateway.requests[0])


def test_a_tampered_body_does_not_match_the_signature(sms_gateway):
    http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-1")
    request = sms_gateway.requests[0]
    timestamp = request["headers"][TIMESTAMP_HEADER]
    forged = request["body"].replace(MOBILE.encode(), b"13900000000")
    assert request["headers"][SIGNATURE_HEADER] != signature(SECRET, timestamp, forged)
    assert request["headers"][SIGNATURE_HEADER] != signature("another-secret", timestamp, request["body"])


def test_server_errors_are_retried_with_backoff_then_succeed(sms_gateway):
    sms_gateway.script = [500, 503]
    http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-2")

    assert len(sms_gateway.requests) == 3
    assert {b["message_id"] for b in sms_gateway.bodies()} == {"m-2"}  # the id its status query knows it by
    for request in sms_gateway.requests:
        assert_signed(request)


def test_server_errors_until_the_retries_run_out_are_unavailable(sms_gateway):
    sms_gateway.script = [500, 502, 500]
    with pytest.raises(GatewayUnavailable) as failed:
        http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-3")
    assert len(sms_gateway.requests) == 3
    assert str(failed.value) == "gateway answered 500 (3 tries)"


def test_a_gateway_that_hangs_past_the_timeout_is_unavailable(sms_gateway):
    sms_gateway.script = [("sleep", 1.5)]
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as failed:
        http_gateway(sms_gateway.url, retries=0, timeout=0.3).send(MOBILE, TEXT, "m-4")
    assert time.monotonic() - started < 1.2
    assert "timed out after 0.3 s" in str(failed.value)
    assert MOBILE not in str(failed.value)


def test_a_timeout_then_success_is_delivered(sms_gateway):
    sms_gateway.script = [("sleep", 1.0)]
    http_gateway(sms_gateway.url, retries=1, timeout=0.3).send(MOBILE, TEXT, "m-5")
    assert len(sms_gateway.requests) == 2


def test_a_client_error_is_rejected_at_once(sms_gateway):
    sms_gateway.script = [400]
    with pytest.raises(GatewayRejected) as refused:
        http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-6")
    assert len(sms_gateway.requests) == 1
    assert str(refused.value) == "gateway answered 400"


def test_throttling_is_retried_not_rejected(sms_gateway):
    sms_gateway.script = [429]
    http_gateway(sms_gateway.url).send(MOBILE, TEXT, "m-7")
    assert len(sms_gateway.requests) == 2


def test_nobody_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GatewayUnavailable, match="unreachable: ConnectionError"):
        http_gateway(f"http://127.0.0.1:{port}/sms", retries=1).send(MOBILE, TEXT, "m-8")


# --- SMTP -----------------------------------------------------------------------------------------------------


def smtp(server) -> SmtpEmailGateway:
    return SmtpEmailGateway("127.0.0.1", server.port, "beian@provider.example.cn", timeout=2)


def test_the_status_query_says_whether_the_gateway_has_a_message(sms_gateway):
    gateway = http_gateway(sms_gateway.url)
    gateway.send(MOBILE, TEXT, "m-sent")

    assert gateway.status("m-sent") == DeliveryStatus.DELIVERED
    assert gateway.status("m-never-sent") == DeliveryStatus.NO_RECORD
    assert sms_gateway.status_queries == ["m-sent", "m-never-sent"]
    request = sms_gateway.status_requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers[TIMESTAMP_HEADER.lower()]
    assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET, timestamp, request["query"].encode())


def test_a_status_query_without_an_answer_is_unavailable(sms_gateway):
    with pytest.raises(GatewayUnavailable):
        http_gateway(sms_gateway.url, status_url=sms_gateway.url + "/elsewhere/status").status("m-1")  # a 404 page
    with pytest.raises(GatewayUnavailable, match="status query failed"):
        http_gateway("http://127.0.0.1:9/sms").status("m-1")


def test_the_file_sink_answers_the_status_query(tmp_path):
    sink = FileSmsSink(str(tmp_path / "sms.jsonl"))
    assert sink.status("m-1") == DeliveryStatus.NO_RECORD
    sink.send(MOBILE, TEXT, "m-1")
    assert sink.status("m-1") == DeliveryStatus.DELIVERED


def test_smtp_delivers_a_utf8_message(smtp_server):
    smtp(smtp_server).send("zhangsan@example.com.cn", "网站备案联系方式确认验证码", "验证码为：482913\n", "m-9")

    [received] = smtp_server.messages
    assert "zhangsan@example.com.cn" in received["to"][0]
    message = email.message_from_bytes(received["data"], policy=email.policy.default)
    assert message["Subject"] == "网站备案联系方式确认验证码"
    assert message["X-Notify-Message-Id"] == "m-9"
    assert message.get_content().replace("\r\n", "\n") == "验证码为：482913\n"  # CRLF on the wire


def test_smtp_recipient_refused_is_rejected(smtp_server):
    smtp_server.rcpt_reply = b"550 5.1.1 no such user"
    with pytest.raises(GatewayRejected, match="recipient: 550"):
        smtp(smtp_server).send("nobody@example.com.cn", "s", "t", "m-10")
    assert smtp_server.messages == []


def test_smtp_recipient_deferred_is_unavailable(smtp_server):
    smtp_server.rcpt_reply = b"451 4.7.1 try later"
    with pytest.raises(GatewayUnavailable, match="recipient: 451"):
        smtp(smtp_server).send("later@example.com.cn", "s", "t", "m-11")


def test_smtp_connection_lost_during_the_message_is_an_unknown_outcome(smtp_server):
    smtp_server.drop_during_data = True
    with pytest.raises(GatewayOutcomeUnknown):
        smtp(smtp_server).send("zhangsan@example.com.cn", "s", "t", "m-12")


def test_smtp_server_down_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GatewayUnavailable, match="unreachable"):
        SmtpEmailGateway("127.0.0.1", port, "beian@provider.example.cn", timeout=1).send("a@b.cn", "s", "t", "m")


# --- file sink --------------------------------------------------------------------------------------------------


def test_file_sink_appends_one_json_line_per_message(tmp_path):
    sms = FileSmsSink(str(tmp_path / "sms.jsonl"))
    mail = FileEmailSink(str(tmp_path / "mail.jsonl"))
    sms.send(MOBILE, TEXT, "m-13")
    sms.send(MOBILE, TEXT, "m-14")
    mail.send("zhangsan@example.com.cn", "主题", "正文", "m-15")

    assert [m["message_id"] for m in sms.read()] == ["m-13", "m-14"]
    assert sms.read()[0]["to"] == MOBILE and sms.read()[0]["text"] == TEXT
    [line] = (tmp_path / "mail.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["subject"] == "主题" and json.loads(line)["channel"] == "email"


def test_file_sink_that_cannot_write_is_unavailable(tmp_path):
    with pytest.raises(GatewayUnavailable):
        FileSmsSink(str(tmp_path / "missing-folder" / "sms.jsonl")).send(MOBILE, TEXT, "m-16")
