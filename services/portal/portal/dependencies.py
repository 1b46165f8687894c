"""The portal's settings, read once at start-up from the container's config (design.md §5): the services' URLs,
the session keys and cookie flags, the actors served. A missing session key without ALLOW_DEV_KEYS stops the
service at start-up, as production must."""
from __future__ import annotations

import requests
from nameko.extensions import DependencyProvider

from portal.pages import Portal, Settings
from portal.sessions import SessionCodec, session_keys
from shared.platform.clients import trusted_proxies

ACTORS = ("access-provider", "provincial-bureau", "filing-center")
BACKENDS = ("intake", "precheck")
SPONSOR_SITE = "access-provider"  # whose deployment serves the sponsors' pages (issue 19)


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class PortalPages(DependencyProvider):
    """The :class:`portal.pages.Portal` of this container, built from its config."""

    def setup(self) -> None:
        config = self.container.config
        actors = tuple(str(config.get("PORTAL_ACTOR", "access-provider")).split())
        unknown = set(actors) - set(ACTORS)
        if unknown or not actors:
            raise ValueError(f"PORTAL_ACTOR: one or more of {', '.join(ACTORS)} (not {' '.join(sorted(unknown))})")
        urls = {}
        for name in BACKENDS:
            url = str(config.get(f"PORTAL_{name.upper()}_URL") or "").strip()
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"PORTAL_{name.upper()}_URL must be the service's http(s) URL")
            if not url and SPONSOR_SITE in actors:
                raise ValueError(f"PORTAL_{name.upper()}_URL is required for the sponsor site ({SPONSOR_SITE})")
            if url:
                urls[name] = url
        codec = SessionCodec(session_keys(config.get("PORTAL_SESSION_KEYS"), _flag(config.get("ALLOW_DEV_KEYS",
                                                                                              True))),
                             int(config.get("PORTAL_SESSION_SECONDS", 1800)),
                             _flag(config.get("PORTAL_COOKIE_SECURE", True)))
        self.http = requests.Session()
        self.portal = Portal(Settings(urls=urls, timeout=float(config.get("PORTAL_BACKEND_TIMEOUT", 15)),
                                      codec=codec, http=self.http, actors=actors,
                                      proxies=trusted_proxies(config.get("TRUSTED_PROXIES"))))

    def stop(self) -> None:
        self.http.close()

    def get_dependency(self, worker_ctx) -> Portal:
        return self.portal
