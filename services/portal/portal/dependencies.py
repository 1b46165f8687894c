"""The portal's settings, read once at start-up from the container's config (design.md §5): the services' URLs,
the session keys and cookie flags, the actors served. A missing session key without ALLOW_DEV_KEYS stops the
service at start-up, as production must."""
from __future__ import annotations

import requests
from nameko.extensions import DependencyProvider

from portal.consoles import Consoles
from portal.oidc import IdentityProvider
from portal.pages import Portal, Settings
from portal.sessions import SessionCodec, session_keys
from shared.platform.auth import AuthConfig
from shared.platform.clients import trusted_proxies

ACTORS = ("access-provider", "provincial-bureau", "filing-center")
BACKENDS = ("intake", "precheck", "verification", "bureau", "audit")
SPONSOR_BACKENDS = ("intake", "precheck")  # what the sponsor site cannot work without; the consoles say when one is
# missing (a page of a service the deployment does not call answers 503)
SPONSOR_SITE = "access-provider"  # whose deployment serves the sponsors' pages (issue 19)


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def settings_of(config, http: requests.Session) -> Settings:
    """The deployment's :class:`portal.pages.Settings`; the staff's tokens are verified with the services' own
    AUTH_* settings (shared.platform.auth: the identity provider's keys, or the DEVELOPMENT key of icp-token), and
    they sign in through the identity provider of PORTAL_OIDC_* (:mod:`portal.oidc`), or, only with
    ALLOW_DEV_KEYS, with a pasted token."""
    actors = tuple(str(config.get("PORTAL_ACTOR", "access-provider")).split())
    unknown = set(actors) - set(ACTORS)
    if unknown or not actors:
        raise ValueError(f"PORTAL_ACTOR: one or more of {', '.join(ACTORS)} (not {' '.join(sorted(unknown))})")
    urls = {}
    for name in BACKENDS:
        url = str(config.get(f"PORTAL_{name.upper()}_URL") or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"PORTAL_{name.upper()}_URL must be the service's http(s) URL")
        if not url and SPONSOR_SITE in actors and name in SPONSOR_BACKENDS:
            raise ValueError(f"PORTAL_{name.upper()}_URL is required for the sponsor site ({SPONSOR_SITE})")
        if url:
            urls[name] = url
    dev = _flag(config.get("ALLOW_DEV_KEYS", True))
    codec = SessionCodec(session_keys(config.get("PORTAL_SESSION_KEYS"), dev),
                         int(config.get("PORTAL_SESSION_SECONDS", 1800)),
                         _flag(config.get("PORTAL_COOKIE_SECURE", True)))
    timeout = float(config.get("PORTAL_BACKEND_TIMEOUT", 15))
    return Settings(urls=urls, timeout=timeout, codec=codec, http=http,
                    actors=actors, proxies=trusted_proxies(config.get("TRUSTED_PROXIES")),
                    verifier=AuthConfig.from_config(config).verifier(),
                    identity_provider=IdentityProvider.from_config(config, http, timeout, dev), dev_tokens=dev)


class PortalPages(DependencyProvider):
    """The :class:`portal.pages.Portal` of this container, built from its config."""

    pages = Portal

    def setup(self) -> None:
        self.http = requests.Session()
        self.portal = self.pages(settings_of(self.container.config, self.http))

    def stop(self) -> None:
        self.http.close()

    def get_dependency(self, worker_ctx) -> Portal:
        return self.portal


class StaffPages(PortalPages):
    """The staff's consoles (:class:`portal.consoles.Consoles`, issue 20) of this container."""

    pages = Consoles
