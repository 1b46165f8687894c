"""Notify's own nameko extensions: the gateways chosen from config, the delivery settings, the caller's
correlation id and a timer whose interval is a setting (design.md §5: settings read in ``setup()``, a missing
required setting fails at start-up).

Settings (all optional unless said otherwise):

- ``SMS_GATEWAY``: ``file`` (default) or ``http``; ``EMAIL_GATEWAY``: ``file`` (default) or ``smtp``;
- ``NOTIFY_SINK_PATH`` (default ``/tmp/icp-notify-sms.jsonl``), ``NOTIFY_EMAIL_SINK_PATH`` (default
  ``/tmp/icp-notify-email.jsonl``): the file sinks;
- with ``SMS_GATEWAY=http``: ``SMS_GATEWAY_URL`` and ``SMS_GATEWAY_SECRET`` (required),
  ``SMS_GATEWAY_TIMEOUT`` (s, 5), ``SMS_GATEWAY_RETRIES`` (extra tries within one attempt, 2),
  ``SMS_GATEWAY_BACKOFF`` (s, 0.5), ``SMS_GATEWAY_STATUS_URL`` (the send-status query, default
  ``<SMS_GATEWAY_URL>/status``);
- with ``EMAIL_GATEWAY=smtp``: ``SMTP_HOST`` and ``SMTP_SENDER`` (required), ``SMTP_PORT`` (25),
  ``SMTP_USERNAME``, ``SMTP_PASSWORD``, ``SMTP_STARTTLS`` (false), ``SMTP_TIMEOUT`` (s, 10);
- ``NOTIFY_MAX_ATTEMPTS`` (5), ``NOTIFY_RETRY_BASE_SECONDS`` (30), ``NOTIFY_RETRY_MAX_SECONDS`` (3600): the
  backoff between attempts; ``NOTIFY_POLL_SECONDS`` (1): how often due retries are looked for;
  ``NOTIFY_SENDING_LEASE_SECONDS`` (300): after how long a message still ``sending`` is declared ``unknown`` and
  reconciled with the gateway (must exceed the longest possible gateway call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nameko.contextdata import ContextDataProvider
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from notify.domain import RetryPolicy
from notify.gateways import EmailGateway, FileEmailSink, FileSmsSink, HttpSmsGateway, SmsGateway, SmtpEmailGateway
from shared.platform.config import flag, require

DEFAULT_SMS_SINK = "/tmp/icp-notify-sms.jsonl"
DEFAULT_EMAIL_SINK = "/tmp/icp-notify-email.jsonl"


class SettingError(ValueError):
    """A setting has a value that cannot be used; names the setting, never echoes secrets."""


def _text(config: Mapping, key: str, default: str | None = None) -> str | None:
    value = config.get(key)
    return default if value in (None, "") else str(value).strip()


def _number(config: Mapping, key: str, default: float, *, minimum: float = 0.0) -> float:
    text = _text(config, key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingError(f"{key} must be a number") from None
    if value < minimum:
        raise SettingError(f"{key} must be at least {minimum:g}")
    return value


def sms_gateway_from_config(config: Mapping) -> SmsGateway:
    kind = (_text(config, "SMS_GATEWAY", "file") or "").lower()
    if kind == "file":
        return FileSmsSink(_text(config, "NOTIFY_SINK_PATH", DEFAULT_SMS_SINK))
    if kind == "http":
        return HttpSmsGateway(
            require(config, "SMS_GATEWAY_URL", "the HTTP SMS gateway's URL"),
            require(config, "SMS_GATEWAY_SECRET", "the HTTP SMS gateway's signing secret"),
            timeout=_number(config, "SMS_GATEWAY_TIMEOUT", 5.0, minimum=0.001),
            retries=int(_number(config, "SMS_GATEWAY_RETRIES", 2)),
            backoff=_number(config, "SMS_GATEWAY_BACKOFF", 0.5),
            status_url=_text(config, "SMS_GATEWAY_STATUS_URL"),
        )
    raise SettingError("SMS_GATEWAY must be file or http")


def email_gateway_from_config(config: Mapping) -> EmailGateway:
    kind = (_text(config, "EMAIL_GATEWAY", "file") or "").lower()
    if kind == "file":
        return FileEmailSink(_text(config, "NOTIFY_EMAIL_SINK_PATH", DEFAULT_EMAIL_SINK))
    if kind == "smtp":
        return SmtpEmailGateway(
            require(config, "SMTP_HOST", "the SMTP server for e-mail"),
            int(_number(config, "SMTP_PORT", 25, minimum=1)),
            require(config, "SMTP_SENDER", "the From address of e-mail"),
            username=_text(config, "SMTP_USERNAME"),
            password=_text(config, "SMTP_PASSWORD"),
            starttls=flag("SMTP_STARTTLS", config.get("SMTP_STARTTLS", False), SettingError),
            timeout=_number(config, "SMTP_TIMEOUT", 10.0, minimum=0.001),
        )
    raise SettingError("EMAIL_GATEWAY must be file or smtp")


@dataclass(frozen=True)
class GatewaySet:
    sms: SmsGateway
    email: EmailGateway

    def for_channel(self, channel: str):
        return self.sms if channel == "sms" else self.email


class Gateways(DependencyProvider):
    """The SMS and e-mail gateways, chosen and configured once at start-up."""

    def setup(self) -> None:
        config = self.container.config
        self.gateways = GatewaySet(sms_gateway_from_config(config), email_gateway_from_config(config))

    def get_dependency(self, worker_ctx) -> GatewaySet:
        return self.gateways


@dataclass(frozen=True)
class Settings:
    policy: RetryPolicy
    poll_seconds: float
    sending_lease: timedelta

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def settings_from_config(config: Mapping) -> Settings:
    base = _number(config, "NOTIFY_RETRY_BASE_SECONDS", 30.0)
    cap = _number(config, "NOTIFY_RETRY_MAX_SECONDS", 3600.0)
    if cap < base:
        raise SettingError("NOTIFY_RETRY_MAX_SECONDS must be at least NOTIFY_RETRY_BASE_SECONDS")
    return Settings(
        policy=RetryPolicy(
            max_attempts=int(_number(config, "NOTIFY_MAX_ATTEMPTS", 5, minimum=1)),
            base=timedelta(seconds=base),
            cap=timedelta(seconds=cap),
        ),
        poll_seconds=_number(config, "NOTIFY_POLL_SECONDS", 1.0, minimum=0.01),
        sending_lease=timedelta(seconds=_number(config, "NOTIFY_SENDING_LEASE_SECONDS", 300.0, minimum=1)),
    )


class NotifySettings(DependencyProvider):
    def setup(self) -> None:
        self.settings = settings_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class CorrelationId(ContextDataProvider):
    """The correlation id (filing id) the calling service's worker carries (LogContext sends it along)."""

    context_key = "correlation_id"


class SettingTimer(Timer):
    """``@timer`` whose interval is read from the setting ``setting`` at start-up (default ``default`` s)."""

    def __init__(self, setting: str, default: float, **kwargs: Any):
        self.setting = setting
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        self.interval = _number(self.container.config, self.setting, self.default, minimum=0.01)


setting_timer = SettingTimer.decorator
