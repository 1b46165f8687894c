"""Audit's own settings (design.md §5): the check standards in force (``AUDIT_RULES``, C3)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from audit.domain import Rules, shipped_rules


class Settings:
    def __init__(self, rules: Rules):
        self.rules = rules

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class AuditSettings(DependencyProvider):
    def setup(self) -> None:
        self.settings = Settings(shipped_rules(str(self.container.config.get("AUDIT_RULES") or "2026.1")))

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
