"""Precheck's own settings (design.md §5)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from precheck.domain import CURRENT_RULEBOOK, Rulebook, shipped_rulebook
from shared.kernel.province_rules import CURRENT_VERSION, ProvinceRules, shipped_province_rules
from shared.platform.config import flag


class Settings:
    def __init__(self, rulebook: Rulebook, auto_pass: bool, province_rules: ProvinceRules):
        self.rulebook = rulebook
        self.auto_pass = auto_pass
        self.province_rules = province_rules

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class PrecheckSettings(DependencyProvider):
    """``PRECHECK_RULEBOOK`` (version of the shipped rulebook, C3; unset: ``CURRENT_RULEBOOK``, with the scans'
    comparison of X7), ``PRECHECK_AUTO_PASS`` (whether a clean filing with confirmed contacts passes without staff,
    configurable per provider) and ``PRECHECK_PROVINCE_RULES`` (version of the shipped province rules, X3)."""

    def setup(self) -> None:
        config = self.container.config
        self.settings = Settings(
            shipped_rulebook(str(config.get("PRECHECK_RULEBOOK") or CURRENT_RULEBOOK)),
            flag("PRECHECK_AUTO_PASS", config.get("PRECHECK_AUTO_PASS", True)),
            shipped_province_rules(str(config.get("PRECHECK_PROVINCE_RULES") or CURRENT_VERSION)),
        )

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
