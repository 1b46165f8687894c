"""The bureau's own settings and the caller's identity (design.md §5)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from bureau import domain, forms
from shared.contracts.errors import BadRequest, FieldError, field_errors
from shared.kernel.errors import InvalidValue
from shared.kernel.provinces import Province, province_by_abbr
from shared.platform.config import flag, require

ACTOR_HEADER = "X-Actor"
MAX_ACTOR = 120


@dataclass(frozen=True)
class Settings:
    province: Province
    review_working_days: int
    trusted_seals: list
    evidence_link_seconds: int

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class BureauSettings(DependencyProvider):
    """``BUREAU_PROVINCE`` (required: the one province this deployment serves, R2.1), ``BUREAU_REVIEW_WORKING_DAYS``
    (optional, P8: longer than 20 if the province says so), ``BUREAU_TRUSTED_SEAL_CERTS`` (comma-separated PEM
    paths of the providers' seal certificates; the DEVELOPMENT seal while ``ALLOW_DEV_KEYS`` is true),
    ``BUREAU_EVIDENCE_LINK_SECONDS`` (life of an evidence link, at most 300)."""

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
        self.settings = Settings(province, days, forms.load_trusted(paths), seconds)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class Caller(DependencyProvider):
    """Who is calling: the one place a bureau entrypoint reads the caller's identity. For now the caller names
    itself in ``X-Actor`` (a reviewer id, required); the access-control issue replaces this with bearer tokens.
    The answer is scoped to the deployment's province: ``bureau:京:reviewer-1``."""

    def setup(self) -> None:
        self.province = str(self.container.config.get("BUREAU_PROVINCE") or "").strip()

    def get_dependency(self, worker_ctx):
        def identify(request: Request) -> str:
            actor = (request.headers.get(ACTOR_HEADER) or "").strip()
            if len(actor) > MAX_ACTOR or not actor.isprintable():
                raise BadRequest(f"{ACTOR_HEADER} is invalid", field_errors(
                    FieldError(ACTOR_HEADER, "format", f"At most {MAX_ACTOR} printable characters.", "API")))
            if not actor:
                raise BadRequest(f"{ACTOR_HEADER} is required", field_errors(
                    FieldError(ACTOR_HEADER, "required", "Name the reviewer making this request.", "B1")))
            return f"bureau:{self.province}:{actor}"

        return identify
