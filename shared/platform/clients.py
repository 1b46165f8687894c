"""Who is calling: the client address a per-client rate limit counts (issue 19, point 4).

Behind a proxy (the portal, an ingress controller) every request comes from the proxy's address, so a limit per
client address would count every sponsor as one. A service therefore reads the client from the forwarded chain,
but ONLY when the immediate peer is a proxy it was configured to trust (``TRUSTED_PROXIES``: addresses and CIDRs,
comma- or space-separated, empty by default = trust nobody): anybody else could write any ``X-Forwarded-For`` and
pick a fresh "client" for each request.

The chain is read from the right (the hop nearest to us): each hop a trusted proxy appended is skipped, and the
first address not of a trusted proxy is the client. Entries left of it were written by the client itself and
are never believed. A malformed entry where the client should be stops the walk at the last trusted hop, which is
then counted as the client (a limit too strict for that proxy, never one a caller can dodge).

Use::

    proxies = trusted_proxies(config.get("TRUSTED_PROXIES"))   # at start-up; ValueError on a malformed entry
    client = client_address(request, proxies)                  # per request: a str, never None

A service reads ``TRUSTED_PROXIES`` with its other settings (intake: ``intake.dependencies.Settings``).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from shared.kernel.network import Network, parse_ranges

FORWARDED_FOR = "X-Forwarded-For"


def trusted_proxies(configured: str | Iterable[str] | None) -> tuple[Network, ...]:
    """The networks of ``TRUSTED_PROXIES`` (``"10.0.0.7, 10.1.0.0/16 fd00::/8"``; a bare address is a /32 or
    /128). ``ValueError`` naming the entry when one is not an address or network: a typo must fail at start-up,
    not silently trust nobody (or everybody)."""
    if configured is None:
        return ()
    entries = configured.replace(",", " ").split() if isinstance(configured, str) else list(configured)
    networks: tuple[Network, ...] = ()
    for entry in entries:
        try:
            networks += parse_ranges(entry)
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network") from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(address.version == n.version and address in n for n in proxies)


def client_address(request, proxies: tuple[Network, ...]) -> str:
    """The address of the client behind ``request`` (a werkzeug request): its immediate peer, unless that peer is a
    trusted proxy, in which case the right-most ``X-Forwarded-For`` entry not of a trusted proxy (module
    docstring). ``""`` only when the server knows no peer at all."""
    peer = request.remote_addr or ""
    hop = _address(peer)
    if not _trusted(hop, proxies):
        return peer
    chain = [entry for header in request.headers.getlist(FORWARDED_FOR) for entry in header.split(",")]
    for entry in reversed(chain):
        address = _address(entry)
        if address is None:
            break  # garbage where a proxy should have written the client: count the last trusted hop
        if not _trusted(address, proxies):
            return str(address)
        hop = address
    return str(hop)

