"""The gateways port: how a rendered message leaves the system, and its adapters.

Every adapter answers one attempt in one of four ways:

- it returns: the gateway accepted the message;
- :class:`GatewayRejected`: a permanent refusal (bad number, refused sender, 4xx): retrying cannot help;
- :class:`GatewayUnavailable`: the message was not taken (5xx, timeout, connection refused): retry later;
- :class:`GatewayOutcomeUnknown`: the message may or may not have gone out (an SMTP connection lost after the
  body was sent): the message becomes ``unknown`` and is reconciled (:mod:`notify.domain`'s delivery rule).

A gateway that answers send-status queries also has ``status(message_id) -> DeliveryStatus``: whether it holds
the message that was sent with that id (as Alibaba's QuerySendDetails and Tencent's PullSmsSendStatus do). SMS
gateways do not deduplicate on the id, so this query, not a resend, is how an interrupted send is settled.

Error texts never contain the recipient, the text or a code: they are stored, logged and published.

Adapters: :class:`FileSmsSink` and :class:`FileEmailSink` (development and tests: one JSON object per line in a
file; the file *is* the phone or the mailbox, so it holds plaintext and must not be a log file),
:class:`HttpSmsGateway` (JSON over HTTP, signed) and :class:`SmtpEmailGateway`.
"""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import os
import re
import smtplib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlencode

import requests

from shared.platform.retry import RetryPolicy


class GatewayError(Exception):
    """Base of the gateway outcomes other than success; ``str()`` is safe to store and log."""


class GatewayRejected(GatewayError):
    """Permanent: this message will never be accepted."""


class GatewayUnavailable(GatewayError):
    """Retryable: the gateway did not take the message this time."""


class GatewayOutcomeUnknown(GatewayError):
    """Nobody knows whether the message went out: never retried automatically."""


class DeliveryStatus(StrEnum):
    """A gateway's answer about one message id."""

    DELIVERED = "delivered"  # it has the message (accepted or delivered): never send it again
    FAILED = "failed"  # it has the message and could not deliver it
    NO_RECORD = "no_record"  # it never received the message: sending it again sends it once


class SmsGateway(Protocol):
    name: str

    def send(self, to: str, text: str, message_id: str) -> None: ...

    def status(self, message_id: str) -> DeliveryStatus:
        """What the gateway knows of ``message_id``; :class:`GatewayUnavailable` when it cannot answer now."""
        ...


class EmailGateway(Protocol):
    name: str

    def send(self, to: str, subject: str, text: str, message_id: str) -> None: ...


# --- file sink -----------------------------------------------------------------------------------------------


class FileSink:
    """Appends one JSON object per message to ``path`` (``{"channel", "to", "text", "message_id", "at"}``, plus
    ``subject`` for e-mail) and reads them back. Plaintext on purpose: the file stands for the recipient's phone
    or mailbox in development and tests, so keep it away from logs and collected files."""

    name = "file"
    channel = "sms"

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def _append(self, record: dict) -> None:
        record = {"channel": self.channel, **record, "at": datetime.now(UTC).isoformat()}
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise GatewayUnavailable(f"sink file not writable: {type(exc).__name__}") from None

    def status(self, message_id: str) -> DeliveryStatus:
        """``delivered`` when a line of the sink carries ``message_id`` (the sink never fails a message)."""
        try:
            found = any(record.get("message_id") == message_id for record in self.read())
        except (OSError, ValueError) as exc:
            raise GatewayUnavailable(f"sink file not readable: {type(exc).__name__}") from None
        return DeliveryStatus.DELIVERED if found else DeliveryStatus.NO_RECORD

    def read(self) -> list[dict]:
        """Every message in the sink, oldest first (tests and the demo read the 'phone' with it)."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []


class FileSmsSink(FileSink):
    """The SMS gateway for development and tests."""

    def send(self, to: str, text: str, message_id: str) -> None:
        self._append({"to": to, "text": text, "message_id": message_id})


class FileEmailSink(FileSink):
    """The e-mail gateway for development and tests."""

    channel = "email"

    def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        self._append({"to": to, "subject": subject, "text": text, "message_id": message_id})


# --- HTTP SMS gateway ----------------------------------------------------------------------------------------

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(secret, timestamp + "." + body))``: the timestamp is signed too, so a captured request
    cannot be replayed later with a fresh timestamp."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


class HttpSmsGateway:
    """POSTs ``{"to", "text", "message_id"}`` as JSON to ``url`` with ``X-Timestamp`` (Unix seconds) and
    ``X-Signature`` (:func:`signature`).

    One :meth:`send` makes at most ``1 + retries`` requests, ``timeout`` seconds each, waiting as
    :class:`shared.platform.retry.RetryPolicy` says between them (``backoff``, then twice that, ...); 2xx is
    success, 408/429/5xx, timeouts and connection errors are retried and finally :class:`GatewayUnavailable`, any
    other 4xx is :class:`GatewayRejected` at once.
    ``message_id`` is the same on every request for one message (and on every later attempt).

    :meth:`status` asks ``GET <status_url>?message_id=<id>`` (default ``<url>/status``), signed the same way over
    the query string. It answers JSON: 200 with ``{"status": "delivered" | "accepted" | "failed"}`` when it has
    the message, 404 with ``{"status": "no_record"}`` when it has none; anything else (a bare 404 included) is
    :class:`GatewayUnavailable`.
    """

    name = "http"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        status_url: str | None = None,
    ):
        if retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("SMS gateway timeout must be positive, retries and backoff not negative")
        self.url = url
        self.status_url = status_url or url.rstrip("/") + "/status"
        self._secret = secret
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.policy = RetryPolicy(retries, backoff, sleep)
        self._clock = clock

    def __repr__(self) -> str:  # the secret never shows
        return f"HttpSmsGateway(url={self.url!r}, timeout={self.timeout}, retries={self.retries})"

    def _signed(self, signed: bytes) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(self._secret, timestamp, signed)}

    def _post(self, body: bytes) -> requests.Response:
        headers = {"Content-Type": "application/json; charset=utf-8", **self._signed(body)}
        return self.session.post(self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)

    def status(self, message_id: str) -> DeliveryStatus:
        query = urlencode({"message_id": message_id})
        try:
            response = self.session.get(f"{self.status_url}?{query}", headers=self._signed(query.encode("ascii")),
                                        timeout=self.timeout, allow_redirects=False)
        except requests.Timeout:
            raise GatewayUnavailable(f"gateway status query timed out after {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"gateway status query failed: {type(exc).__name__}") from None
        with response:
            try:
                answer = response.json().get("status") if response.status_code in (200, 404) else None
            except (ValueError, AttributeError):
                answer = None
        if answer in ("delivered", "accepted"):
            return DeliveryStatus.DELIVERED
        if answer == "failed":
            return DeliveryStatus.FAILED
        if answer == "no_record":
            return DeliveryStatus.NO_RECORD
        # A bare 404 may be a wrong URL, not a missing message: taking it for "no record" would text twice.
        raise GatewayUnavailable(f"gateway status query answered {response.status_code} without a status")

    def send(self, to: str, text: str, message_id: str) -> None:
        body = json.dumps({"to": to, "text": text, "message_id": message_id}, ensure_ascii=False).encode("utf-8")

        def attempt() -> str | None:
            """None when the gateway took the message; else why not, to retry."""
            try:
                response = self._post(body)
            except requests.Timeout:
                return f"gateway timed out after {self.timeout:g} s"
            except requests.RequestException as exc:
                return f"gateway unreachable: {type(exc).__name__}"
            status = response.status_code
            response.close()
            if 200 <= status < 300:
                return None
            if 400 <= status < 500 and status not in (408, 429):
                raise GatewayRejected(f"gateway answered {status}")
            return f"gateway answered {status}"

        error = self.policy.call(attempt, retry_if=lambda error: error is not None)
        if error is not None:
            raise GatewayUnavailable(f"{error} ({self.policy.attempts} tries)")


# --- SMTP ------------------------------------------------------------------------------------------------------


class SmtpEmailGateway:
    """Sends plain-text UTF-8 mail through an SMTP server, with ``timeout`` on every socket operation and
    optional STARTTLS and login.

    Failures before the body is handed over are :class:`GatewayUnavailable` (connect, greeting, login, 4xx) or
    :class:`GatewayRejected` (5xx for sender or recipient); a connection lost while the body is transferred
    or acknowledged is :class:`GatewayOutcomeUnknown`.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ):
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpEmailGateway(host={self.host!r}, port={self.port}, starttls={self.starttls})"

    def _message(self, to: str, subject: str, text: str, message_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=message_id.replace("-", ""))
        message["X-Notify-Message-Id"] = message_id
        message.set_content(text, charset="utf-8")
        return message

    def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        message = self._message(to, subject, text, message_id)
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayUnavailable(f"smtp server unreachable: {type(exc).__name__}") from None
        try:
            self._prepare(client)
            self._envelope(client, to)
            self._data(client, message)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _prepare(self, client: smtplib.SMTP) -> None:
        try:
            client.ehlo_or_helo_if_needed()
            if self.starttls:
                client.starttls()
                client.ehlo()
            if self.username:
                client.login(self.username, self._password or "")
        except smtplib.SMTPAuthenticationError:
            raise GatewayUnavailable("smtp login refused") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayUnavailable(f"smtp session failed: {type(exc).__name__}") from None

    def _envelope(self, client: smtplib.SMTP, to: str) -> None:
        try:
            code, _ = client.mail(self.sender)
            self._check(code, "sender")
            code, _ = client.rcpt(to)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise GatewayUnavailable(f"smtp session failed: {type(exc).__name__}") from None
        self._check(code, "recipient")

    @staticmethod
    def _check(code: int, what: str) -> None:
        if 200 <= code < 300:
            return
        if 500 <= code < 600:
            raise GatewayRejected(f"smtp refused the {what}: {code}")
        raise GatewayUnavailable(f"smtp deferred the {what}: {code}")

    @staticmethod
    def _data(client: smtplib.SMTP, message: EmailMessage) -> None:
        body = re.sub(rb"(?m)^\.", b"..", message.as_bytes(policy=email.policy.SMTP))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        try:
            code, _ = client.docmd("DATA")
        except (OSError, smtplib.SMTPException) as exc:
            raise GatewayUnavailable(f"smtp session failed: {type(exc).__name__}") from None
        if code != 354:
            SmtpEmailGateway._check(code if code >= 400 else 451, "message")
        try:
            # From here on the server may have the message: a lost connection is an unknown outcome.
            client.send(body + b".\r\n")
            code, _ = client.getreply()
        except (OSError, smtplib.SMTPException) as exc:  # socket timeouts are OSErrors
            raise GatewayOutcomeUnknown(f"smtp connection lost during the message: {type(exc).__name__}") from None
        SmtpEmailGateway._check(code, "message")
