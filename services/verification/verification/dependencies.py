"""Verification's own settings and collaborators, read once at start-up (design.md §5)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from nameko.extensions import DependencyProvider

import shared.platform
from shared.kernel.network import parse_ranges
from shared.platform.config import flag, require
from shared.platform.storage import ObjectStorage
from verification import photos
from verification.forms import Sealer
from verification.registrar import Registrar, load_bootstrap, parse_servers

DEFAULT_BUCKET = "verification-evidence"
DEV_SEAL = Path(shared.platform.__file__).with_name("data")


def _bootstrap(path: str | None):
    """A newer copy of IANA's ``dns.json`` when ``RDAP_BOOTSTRAP_FILE`` names one; else the shipped registry."""
    return load_bootstrap(Path(path)) if path else None


class Settings:
    def __init__(self, config):
        self.provider_id = require(config, "PROVIDER_ID", "the access provider whose staff verify and whose seal signs")
        self.bucket = config.get("VERIFICATION_BUCKET") or DEFAULT_BUCKET
        self.ip_ranges = parse_ranges(str(config.get("PROVIDER_IP_RANGES") or ""))
        if not self.ip_ranges:
            raise ValueError("PROVIDER_IP_RANGES is required: the provider's own IP ranges (P5, R1.8)")
        self.registrar = Registrar(parse_servers(str(config.get("RDAP_SERVERS") or "")),
                                   parse_servers(str(config.get("WHOIS_SERVERS") or "")),
                                   timeout=float(config.get("DOMAIN_LOOKUP_TIMEOUT") or 5),
                                   bootstrap=_bootstrap(config.get("RDAP_BOOTSTRAP_FILE")))
        seal_dir = config.get("SEAL_DIR")
        if seal_dir:
            key, cert = Path(seal_dir) / "key.pem", Path(seal_dir) / "cert.pem"
        elif flag("ALLOW_DEV_KEYS", config.get("ALLOW_DEV_KEYS", True)):
            key, cert = DEV_SEAL / "dev_seal_key.pem", DEV_SEAL / "dev_seal_cert.pem"
        else:
            raise ValueError("SEAL_DIR (key.pem and cert.pem of the provider's seal, P6) is required without "
                             "ALLOW_DEV_KEYS")
        self.sealer = Sealer(key, cert)
        self.logo = photos.logo_template(Path(config.get("BACKDROP_LOGO_FILE") or photos.LOGO_FILE))
        self.window = shortened_window(config)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def shortened_window(config) -> timedelta | None:
    """``VERIFICATION_WINDOW_SECONDS``: the on-site window shortened so that system tests see it run out (P3).
    Development keys only: a deployment with real keys that sets it does not start, rather than shorten the
    month the regulation gives the sponsor."""
    seconds = config.get("VERIFICATION_WINDOW_SECONDS")
    if seconds in (None, ""):
        return None
    if not flag("ALLOW_DEV_KEYS", config.get("ALLOW_DEV_KEYS", True)):
        raise ValueError("VERIFICATION_WINDOW_SECONDS is for tests: it needs ALLOW_DEV_KEYS (P3's window is 1 month)")
    if float(seconds) <= 0:
        raise ValueError("VERIFICATION_WINDOW_SECONDS must be a positive number of seconds")
    return timedelta(seconds=float(seconds))


class VerificationSettings(DependencyProvider):
    """``PROVIDER_ID``, ``VERIFICATION_BUCKET``, ``PROVIDER_IP_RANGES``, ``RDAP_SERVERS``, ``WHOIS_SERVERS``,
    ``DOMAIN_LOOKUP_TIMEOUT``, ``SEAL_DIR`` (``key.pem`` and ``cert.pem`` of the provider's seal, P6) and
    ``BACKDROP_LOGO_FILE`` (the filing center's logo the photo must show, P4); for tests only,
    ``VERIFICATION_WINDOW_SECONDS`` (P3's window shortened, with development keys only)."""

    def setup(self) -> None:
        self.settings = Settings(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class EvidenceStorage(ObjectStorage):
    """The object store, with the evidence bucket (versioned, Object Lock: W4) made sure of at start-up."""

    def start(self) -> None:
        super().start()
        self.store.ensure_bucket(self.container.config.get("VERIFICATION_BUCKET") or DEFAULT_BUCKET,
                                 object_lock=True)
