"""The bureau's own settings (design.md §5)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from bureau import domain, forms
from shared.kernel.errors import InvalidValue
from shared.kernel.provinces import Province, province_by_abbr
from shared.platform.auth import Caller, Guard
from shared.platform.clients import trusted_proxies
from shared.platform.config import flag, require


@dataclass(frozen=True)
class Settings:
    province: Province
    review_working_days: int
    trusted_seals: forms.Trust
    evidence_link_seconds: int
    public_query_limit: int = 30
    trusted_proxies: tuple = ()
    miit_check: bool = False

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class BureauSettings(DependencyProvider):
    """``BUREAU_PROVINCE`` (required: the one province this deployment serves, R2.1), ``BUREAU_REVIEW_WORKING_DAYS``
    (optional, P8: longer than 20 if the province says so), ``BUREAU_TRUSTED_SEAL_CERTS`` (comma-separated PEM
    paths of the providers' seal certificates; the DEVELOPMENT seal while ``ALLOW_DEV_KEYS`` is true),
    ``BUREAU_EVIDENCE_LINK_SECONDS`` (life of an evidence link, at most 300), ``PUBLIC_QUERY_LIMIT`` (X9: public
    queries a client may make a minute, 30 by default), ``TRUSTED_PROXIES`` (the proxies, such as a portal, whose
``X-Forwarded-For`` names the public query's client; empty: nobody, ``shared.platform.clients``),
    ``BUREAU_MIIT_CHECK`` (X2: a filing received is reviewed only after the MIIT SMS check; on in config.yaml)."""

    def setup(self) -> None:
        config = self.container.config
        abbr = require(config, "BUREAU_PROVINCE", "the province whose filings this bureau reviews")
        try:
            province = province_by_abbr(str(abbr).strip())
            configured = config.get("BUREAU_REVIEW_WORKING_DAYS")
            days = domain.review_working_days(province.abbr, int(configured) if configured else None)
        except InvalidValue as exc:
            raise ValueError(f"bureau settings: {exc.message}") from None
        paths = [p.strip() for p in str(config.get("BUREAU_TRUSTED_SEAL_CERTS") or "").split(",") if p.strip()]
        if not paths:
            if not flag("ALLOW_DEV_KEYS", config.get("ALLOW_DEV_KEYS", True)):
                raise ValueError("BUREAU_TRUSTED_SEAL_CERTS is not set and ALLOW_DEV_KEYS is false")
            paths = [str(forms.DEV_SEAL_CERT)]
        seconds = int(config.get("BUREAU_EVIDENCE_LINK_SECONDS") or 300)
        if not 1 <= seconds <= 300:
            raise ValueError("BUREAU_EVIDENCE_LINK_SECONDS is between 1 and 300 (design.md §5)")
        limit = int(config.get("PUBLIC_QUERY_LIMIT") or 30)
        if limit < 1:
            raise ValueError("PUBLIC_QUERY_LIMIT is at least 1 (X9)")
        self.settings = Settings(province, days, forms.load_trusted(paths), seconds, limit,
                                 trusted_proxies(config.get("TRUSTED_PROXIES")),
                                 flag("BUREAU_MIIT_CHECK", config.get("BUREAU_MIIT_CHECK", False)))

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


@dataclass(frozen=True)
class BureauCaller(Caller):
    """The verified caller, named the one way the bureau records who decided, who opened evidence and whose
    ``Idempotency-Key`` it is: ``bureau:京:<subject>`` (stored decisions, events and keys keep this name)."""

    abbr: str = ""

    @property
    def actor(self) -> str | None:
        return f"bureau:{self.abbr}:{self.principal.subject}" if self.principal else None


class BureauGuard(Guard):
    """:class:`shared.platform.auth.Guard`, giving a :class:`BureauCaller` of the deployment's province
    (``BUREAU_PROVINCE``, validated by :class:`BureauSettings`)."""

    def setup(self) -> None:
        super().setup()
        self.abbr = str(self.container.config.get("BUREAU_PROVINCE") or "").strip()

    def get_dependency(self, worker_ctx) -> BureauCaller:
        caller = super().get_dependency(worker_ctx)
        return BureauCaller(caller.principal, caller.tenant, caller.signer, self.abbr)
