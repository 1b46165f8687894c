"""Precheck's own settings (design.md §5)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from precheck.domain import Rulebook, shipped_rulebook
from shared.platform.config import flag


class Settings:
    def __init__(self, rulebook: Rulebook, auto_pass: bool):
        self.rulebook = rulebook
        self.auto_pass = auto_pass

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class PrecheckSettings(DependencyProvider):
    """``PRECHECK_RULEBOOK`` (version of the shipped rulebook, C3) and ``PRECHECK_AUTO_PASS`` (whether a clean
    filing with confirmed contacts passes without staff, configurable per provider)."""

    def setup(self) -> None:
        config = self.container.config
        self.settings = Settings(
            shipped_rulebook(str(config.get("PRECHECK_RULEBOOK") or "2026.1")),
            flag("PRECHECK_AUTO_PASS", config.get("PRECHECK_AUTO_PASS", True)),
        )

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
