"""Who owns a domain (P5): RDAP (RFC 9083, HTTP JSON) first, WHOIS (RFC 3912, TCP port 43) when RDAP has no
answer, with servers configured per TLD. Every lookup keeps its raw answer as evidence.

``RDAP_SERVERS`` and ``WHOIS_SERVERS`` are ``tld=url`` / ``tld=host:port`` pairs separated by commas; ``*`` is the
default. Each call has a timeout and bounded retries; a registry that does not answer gives ``unavailable``,
which is never a pass (design.md §4).
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass

import requests

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


def _server_for(servers: dict[str, str], domain: str) -> str | None:
    labels = domain.lower().split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in servers:
            return servers[suffix]
    return servers.get("*")


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
    """Looks up domains with the configured servers; ``timeout`` per call and ``retries`` more tries."""

    def __init__(self, rdap: dict[str, str], whois: dict[str, str], *, timeout: float = 5.0, retries: int = 1,
                 backoff: float = 0.2):
        self.rdap, self.whois = rdap, whois
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.http = requests.Session()

    def lookup(self, domain: str) -> Lookup:
        """RDAP when a server is configured for the domain's TLD and answers; else WHOIS; else ``none``."""
        errors = []
        rdap = _server_for(self.rdap, domain)
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
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return call(), ""
            except (OSError, requests.RequestException) as exc:
                error = type(exc).__name__
        return None, error

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
