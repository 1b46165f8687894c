"""The gateways dependency on its own: adapters chosen from config, required settings fail at start-up."""

import pytest

from notify.dependencies import (
    Gateways,
    NotifySettings,
    SettingError,
    SettingTimer,
    email_gateway_from_config,
    sms_gateway_from_config,
)
from notify.gateways import FileEmailSink, FileSmsSink, HttpSmsGateway, SmtpEmailGateway
from shared.platform.config import MissingSetting

pytestmark = pytest.mark.unit


class FakeContainer:
    """What an extension reads of its container (nameko keeps a weak reference to it)."""

    def __init__(self, config: dict):
        self.config = config
        self.service_name = "notify"


def bound(provider_cls, config: dict, name: str = "dep"):
    container = FakeContainer(config)
    provider = provider_cls().bind(container, name)
    provider._test_container = container  # keep it alive while the test uses the provider
    provider.setup()
    return provider


def test_defaults_are_file_sinks():
    gateways = bound(Gateways, {}).get_dependency(None)
    assert isinstance(gateways.sms, FileSmsSink) and gateways.sms.path == "/tmp/icp-notify-sms.jsonl"
    assert isinstance(gateways.email, FileEmailSink) and gateways.email.path == "/tmp/icp-notify-email.jsonl"
    assert gateways.for_channel("sms") is gateways.sms and gateways.for_channel("email") is gateways.email


def test_http_sms_gateway_from_config_without_showing_its_secret():
    gateway = sms_gateway_from_config({"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": "http://127.0.0.1:9/sms",
                                       "SMS_GATEWAY_SECRET": "s3cret", "SMS_GATEWAY_TIMEOUT": "1.5",
                                       "SMS_GATEWAY_RETRIES": "4", "SMS_GATEWAY_BACKOFF": "0"})
    assert isinstance(gateway, HttpSmsGateway)
    assert (gateway.url, gateway.timeout, gateway.retries, gateway.backoff) == ("http://127.0.0.1:9/sms", 1.5, 4, 0)
    assert "s3cret" not in repr(gateway)


def test_smtp_gateway_from_config():
    gateway = email_gateway_from_config({"EMAIL_GATEWAY": "smtp", "SMTP_HOST": "mail.example.cn", "SMTP_PORT": 587,
                                         "SMTP_SENDER": "beian@example.cn", "SMTP_STARTTLS": "true",
                                         "SMTP_PASSWORD": "pw"})
    assert isinstance(gateway, SmtpEmailGateway)
    assert (gateway.host, gateway.port, gateway.sender, gateway.starttls) == ("mail.example.cn", 587,
                                                                            "beian@example.cn", True)
    assert "pw" not in repr(gateway)


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({"SMS_GATEWAY": "http", "SMS_GATEWAY_SECRET": "s"}, "SMS_GATEWAY_URL"),
        ({"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": "http://x", "SMS_GATEWAY_SECRET": ""}, "SMS_GATEWAY_SECRET"),
        ({"EMAIL_GATEWAY": "smtp", "SMTP_SENDER": "a@b.cn"}, "SMTP_HOST"),
        ({"EMAIL_GATEWAY": "smtp", "SMTP_HOST": "mail"}, "SMTP_SENDER"),
    ],
)
def test_a_missing_required_setting_fails_at_start_up(config, missing):
    with pytest.raises(MissingSetting) as failed:
        bound(Gateways, config)
    assert failed.value.key == missing


@pytest.mark.parametrize(
    "config",
    [{"SMS_GATEWAY": "carrier-pigeon"}, {"EMAIL_GATEWAY": "fax"}, {"EMAIL_GATEWAY": "smtp", "SMTP_HOST": "h",
                                                                   "SMTP_SENDER": "s", "SMTP_STARTTLS": "maybe"},
     {"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": "u", "SMS_GATEWAY_SECRET": "s", "SMS_GATEWAY_TIMEOUT": "soon"}],
)
def test_an_unusable_setting_fails_at_start_up(config):
    with pytest.raises(SettingError):
        bound(Gateways, config)


def test_delivery_settings_and_their_defaults():
    settings = bound(NotifySettings, {}).get_dependency(None)
    assert settings.policy.max_attempts == 5 and settings.policy.base.total_seconds() == 30
    assert settings.poll_seconds == 1 and settings.sending_lease.total_seconds() == 300
    tuned = bound(NotifySettings, {"NOTIFY_MAX_ATTEMPTS": "3", "NOTIFY_RETRY_BASE_SECONDS": "0.5",
                                   "NOTIFY_RETRY_MAX_SECONDS": "2", "NOTIFY_SENDING_LEASE_SECONDS": 60}).settings
    assert tuned.policy.max_attempts == 3 and tuned.policy.cap.total_seconds() == 2
    with pytest.raises(SettingError):
        bound(NotifySettings, {"NOTIFY_RETRY_BASE_SECONDS": "10", "NOTIFY_RETRY_MAX_SECONDS": "1"})


def test_the_timer_interval_is_a_setting():
    container = FakeContainer({"NOTIFY_POLL_SECONDS": "0.25"})
    timer = SettingTimer("NOTIFY_POLL_SECONDS", 1.0).bind(container, "deliver_due")
    timer.setup()
    assert timer.interval == 0.25
