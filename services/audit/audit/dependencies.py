"""Audit's own settings (design.md §5): the check standards in force (``AUDIT_RULES``, C3) and the days a provider
has to rectify a shell site (``AUDIT_SHELL_SITE_RECTIFY_DAYS``, X5)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from audit.domain import Rules, shipped_rules

SHELL_SITE_RECTIFY_DAYS = 30  # X5: the rectification window, in days, unless configured


class Settings:
    def __init__(self, rules: Rules, shell_site_rectify_days: int = SHELL_SITE_RECTIFY_DAYS):
        self.rules = rules
        self.shell_site_rectify_days = shell_site_rectify_days

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class AuditSettings(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.settings = Settings(shipped_rules(str(config.get("AUDIT_RULES") or "2026.1")),
                                 int(config.get("AUDIT_SHELL_SITE_RECTIFY_DAYS") or SHELL_SITE_RECTIFY_DAYS))

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
