"""Intake's own dependency providers: its settings and its evidence bucket (design.md §5)."""

from datetime import UTC, datetime, timedelta

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from intake import ocr
from shared.platform.clients import trusted_proxies
from shared.platform.config import flag, require
from shared.platform.storage import ObjectStorage

DEFAULT_BUCKET = "intake-documents"


class SettingError(ValueError):
    pass


class Settings:
    def __init__(self, provider_id: str, bucket: str, *, revisit_interval: timedelta = timedelta(days=365),
                 revisit_answer: timedelta = timedelta(days=30), reverification: timedelta = timedelta(days=90),
                 trusted_proxies: tuple = (), read_scan=None):
        self.provider_id = provider_id
        self.read_scan = read_scan  # X7: intake.ocr.reading_of, or None where scans are not read
        self.trusted_proxies = trusted_proxies
        self.bucket = bucket
        self.revisit_interval = revisit_interval
        self.revisit_answer = revisit_answer
        self.reverification = reverification

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def _days(config, key: str, default: float) -> timedelta:
    """A positive number of days (fractions allowed, so tests can run a revisit cycle in seconds)."""
    raw = config.get(key)
    try:
        days = float(default if raw in (None, "") else raw)
    except (TypeError, ValueError):
        raise SettingError(f"{key} must be a number of days") from None
    if days <= 0:
        raise SettingError(f"{key} must be more than 0 days")
    return timedelta(days=days)


def settings_from_config(config) -> Settings:
    """The settings from a nameko config (the service) or the same YAML read by a command (``intake.stock``)."""
    return Settings(
        require(config, "PROVIDER_ID", "the access provider this intake serves"),
        config.get("INTAKE_BUCKET") or DEFAULT_BUCKET,
        revisit_interval=_days(config, "REVISIT_INTERVAL_DAYS", 365),
        revisit_answer=_days(config, "REVISIT_ANSWER_DAYS", 30),
        reverification=_days(config, "REVERIFICATION_DAYS", 90),
        trusted_proxies=trusted_proxies(config.get("TRUSTED_PROXIES")),
        read_scan=ocr.reading_of if flag("READ_SCANS", config.get("READ_SCANS", True), SettingError) else None,
    )


class IntakeSettings(DependencyProvider):
    """``PROVIDER_ID`` (required: each access provider runs its own intake), ``INTAKE_BUCKET``, and the W5/W6
    periods: ``REVISIT_INTERVAL_DAYS`` (365: how often an approved sponsor is revisited), ``REVISIT_ANSWER_DAYS``
    (30: how long it has to answer before staff are told), ``REVERIFICATION_DAYS`` (90: the default deadline of
    a stock import's on-site re-verification); ``TRUSTED_PROXIES`` (empty: nobody), the proxies whose forwarded client
    address the sign-in limit per client believes (``shared.platform.clients``: the portal, issue 19); ``READ_SCANS``
    (true): whether identity documents' scans are read by OCR as they arrive (X7, about 1 CPU-second each), for
    precheck's rulebook 2026.2 to compare; turn it off only where precheck runs a rulebook without the comparison
    (2026.1), which would never look at the readings."""

    def setup(self) -> None:
        self.settings = settings_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class IntakeStorage(ObjectStorage):
    """The object store, with intake's scan bucket made sure of (versioned, Object Lock: W4) at start-up."""

    def start(self) -> None:
        super().start()
        bucket = self.container.config.get("INTAKE_BUCKET") or DEFAULT_BUCKET
        self.store.ensure_bucket(bucket, object_lock=True)


class SettingTimer(Timer):
    """``@timer`` whose interval (seconds) is read from the setting ``setting`` at start-up."""

    def __init__(self, setting: str, default: float, **kwargs):
        self.setting = setting
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        raw = self.container.config.get(self.setting)
        try:
            self.interval = float(self.default if raw in (None, "") else raw)
        except (TypeError, ValueError):
            raise SettingError(f"{self.setting} must be a number of seconds") from None
        if self.interval <= 0:
            raise SettingError(f"{self.setting} must be more than 0 seconds")


setting_timer = SettingTimer.decorator
