"""Audit's own settings (design.md §5): the check standards in force (``AUDIT_RULES``, C3) and shell-site
monitoring (X5): the days a provider has to rectify a shell site (``AUDIT_SHELL_SITE_RECTIFY_DAYS``), and the
probe: each provider's IP ranges (``AUDIT_PROVIDER_RANGES``, ``provider=cidr,cidr;provider=...``; a provider not
named is not probed), the CDN ranges that count as every provider's (``AUDIT_CDN_RANGES``), the resolver
(``AUDIT_SHELL_SITE_NAMESERVERS``, ``host[:port]``; empty: the system's), the timeout of each DNS query and
``HEAD`` (``AUDIT_SHELL_SITE_TIMEOUT``, seconds), the port ``HEAD`` goes to (``AUDIT_SHELL_SITE_HTTP_PORT``) and
the days a site must fail without a break before it is a finding (``AUDIT_SHELL_SITE_FAILING_DAYS``)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from audit.domain import Rules, shipped_rules
from audit.prober import SiteProber, parse_nameservers
from shared.kernel.network import Network, parse_ranges

SHELL_SITE_RECTIFY_DAYS = 30  # X5: the rectification window, in days, unless configured
SHELL_SITE_FAILING_DAYS = 3  # X5: a site fails this many days without a break before it is a finding
SHELL_SITE_TIMEOUT = 3.0  # X5: seconds for each DNS query and HEAD ("a short timeout")


def provider_ranges(text: str, cdn: tuple[Network, ...]) -> dict[str, tuple[Network, ...]]:
    """``AUDIT_PROVIDER_RANGES`` (``provider=cidr,cidr;provider=cidr``), each provider's with the CDN ranges."""
    ranges = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        provider, equals, cidrs = entry.partition("=")
        if not equals or not provider.strip():
            raise ValueError(f"AUDIT_PROVIDER_RANGES: {entry!r} is not provider=cidr,cidr")
        ranges[provider.strip()] = parse_ranges(cidrs) + cdn
    return ranges


class Settings:
    def __init__(self, rules: Rules, shell_site_rectify_days: int, ranges: dict[str, tuple[Network, ...]],
                 prober: SiteProber, failing_days: float):
        self.rules = rules
        self.shell_site_rectify_days = shell_site_rectify_days
        self.ranges = ranges
        self.prober = prober
        self.failing_days = failing_days

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def settings_from_config(config: dict) -> Settings:
    def value(name: str, default):
        raw = config.get(name)
        return default if raw in (None, "") else raw

    cdn = parse_ranges(str(value("AUDIT_CDN_RANGES", "")))
    timeout = float(value("AUDIT_SHELL_SITE_TIMEOUT", SHELL_SITE_TIMEOUT))
    if timeout <= 0:
        raise ValueError("AUDIT_SHELL_SITE_TIMEOUT must be a positive number of seconds")
    prober = SiteProber(parse_nameservers(str(value("AUDIT_SHELL_SITE_NAMESERVERS", ""))), timeout,
                        int(value("AUDIT_SHELL_SITE_HTTP_PORT", 80)))
    return Settings(shipped_rules(str(value("AUDIT_RULES", "2026.1"))),
                    int(value("AUDIT_SHELL_SITE_RECTIFY_DAYS", SHELL_SITE_RECTIFY_DAYS)),
                    provider_ranges(str(value("AUDIT_PROVIDER_RANGES", "")), cdn), prober,
                    float(value("AUDIT_SHELL_SITE_FAILING_DAYS", SHELL_SITE_FAILING_DAYS)))


class AuditSettings(DependencyProvider):
    def setup(self) -> None:
        self.settings = settings_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
