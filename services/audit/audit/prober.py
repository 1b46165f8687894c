"""X5: the shell-site probe's questions to the world, the adapter behind
:func:`audit.usecases.monitoring.probe_shell_sites`: a domain's addresses through the configured resolver
(dnspython; A and AAAA, CNAME chains followed across queries), and whether an address answers ``HEAD /`` for the
domain within the timeout. Domains are probed concurrently on green threads (the work is waiting, not
computing)."""

from __future__ import annotations

import http.client

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import eventlet

from shared.kernel.network import Network, in_ranges

MAX_CNAME_HOPS = 8  # a longer chain is a loop or a misconfiguration: the site resolves to nothing
USER_AGENT = "icp-verification-shell-site-probe"


def parse_nameservers(text: str) -> list[tuple[str, int]]:
    """``AUDIT_SHELL_SITE_NAMESERVERS``: ``host[:port]`` (IPv6 as ``[addr]:port``), separated by commas or spaces;
    empty: the system's resolver (``/etc/resolv.conf``). ValueError for a port that is not a number."""
    servers = []
    for part in text.replace(",", " ").split():
        if part.startswith("["):
            host, _, rest = part[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif part.count(":") == 1:
            host, port = part.split(":")
        else:
            host, port = part, "53"
        servers.append((host, int(port)))
    return servers


class SiteProber:
    """Asks ``nameservers`` (``[(address, port)]``; empty: the system's) and the sites themselves, each question
    within ``timeout`` seconds; ``HEAD`` goes to ``http_port`` of the address, with the domain as ``Host``."""

    def __init__(self, nameservers: list[tuple[str, int]], timeout: float, http_port: int = 80,
                 concurrency: int = 20):
        self.resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            self.resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in nameservers]
        self.resolver.timeout = self.resolver.lifetime = timeout
        self.timeout, self.http_port, self.concurrency = timeout, http_port, concurrency

    def probe_all(self, domains: list[str], ranges: tuple[Network, ...]) -> dict[str, tuple[list[str] | None, bool]]:
        """Each domain's addresses (None: the resolver did not answer) and whether one of them in ``ranges``
        answered ``HEAD``."""
        pool = eventlet.GreenPool(self.concurrency)
        return dict(zip(domains, pool.imap(lambda d: self._probe(d, ranges), domains), strict=True))

    def _probe(self, domain: str, ranges: tuple[Network, ...]) -> tuple[list[str] | None, bool]:
        addresses = self.addresses(domain)
        ours = [a for a in addresses or [] if in_ranges(a, ranges)]
        return addresses, any(self.answers(address, domain) for address in ours[:2])

    def addresses(self, domain: str) -> list[str] | None:
        """The A and AAAA addresses ``domain`` resolves to, CNAMEs followed; [] when it does not exist or has
        none; None when the resolver did not answer (nothing can be said)."""
        found: list[str] = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            try:
                found += self._follow(dns.name.from_text(domain), rdtype)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException:
                return None
        return found

    def _follow(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> list[str]:
        """The ``rdtype`` records at the end of ``name``'s CNAME chain: an answer that stops at a CNAME whose
        target it does not carry (the target is in another zone) is asked again for the target."""
        for _ in range(MAX_CNAME_HOPS):
            answer = self.resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
            if answer.rrset is not None:
                return [record.to_text() for record in answer.rrset]
            if answer.canonical_name == name:
                return []
            name = answer.canonical_name
        return []

    def answers(self, address: str, domain: str) -> bool:
        """Whether ``address`` answers ``HEAD /`` for ``domain`` (any HTTP status) within the timeout."""
        connection = http.client.HTTPConnection(address, self.http_port, timeout=self.timeout)
        try:
            connection.request("HEAD", "/", headers={"Host": domain, "User-Agent": USER_AGENT})
            connection.getresponse()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()
