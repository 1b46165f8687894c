"""Domain names and IP addresses of a filed website (R1.7, R1.8, requirements §4).

Domains may be internationalised (IDN); both forms are kept (requirements §4). Names follow IDNA 2008 with
UTS #46 mapping (``idna``), and must sit under a public suffix of the Public Suffix List's ICANN section,
read from the snapshot bundled with ``tldextract``: the list is never fetched, the kernel does no I/O.
"""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

import idna
import tldextract

from shared.kernel.errors import InvalidValue

DOMAIN_RULE = "R1.7"
IP_RULE = "R1.8"

MAX_LABEL_LENGTH = 63
MAX_DOMAIN_LENGTH = 253

# No suffix list URLs and no cache directory: only the bundled snapshot is read, never the network or disk
# outside the package.
_PUBLIC_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

# Characters that mean the person typed a URL, an address with a port or a pattern instead of a domain name.
_NOT_IN_DOMAINS = frozenset("/:@?#*\\[]")

_IDNA_CODES = {"label_too_long": "label_length", "domain_too_long": "length", "input_too_long": "length"}


def normalise_typed_host(text: str) -> str:
    """A domain name or IP address as typed, in the one form intake stores and compares (issue 17):
    NFKC-normalised (full-width letters, digits and ``．`` become ASCII) and trimmed. ``validate_domain``
    gives both canonical forms at submission."""
    return unicodedata.normalize("NFKC", text).strip()


@dataclass(frozen=True)
class Domain:
    """A checked domain name: ``unicode`` and ``ascii`` (punycode) forms of the whole name, and the
    ``registrable`` domain (one label under the public suffix, e.g. ``example.com.cn``) in ASCII."""

    unicode: str
    ascii: str
    registrable: str


def validate_domain(text: str) -> Domain:
    """Check a website's domain name (R1.7) and return both forms and its registrable domain.

    Surrounding whitespace and one trailing dot are removed; case and full-width characters are mapped by
    UTS #46 (``例子。中国`` reads as ``例子.中国``). Input may be Unicode or punycode
    (``xn--fsqu00a.xn--fiqs8s``).
    InvalidValue, rule R1.7:

    - ``required``: empty;
    - ``format``: a URL, path, port, user, query or wildcard (``http://``, ``/``, ``:``, ``@``, ``*`` …);
    - ``ip_address``: an IP address, not a domain name;
    - ``empty_label``: two dots in a row, or a dot at the start;
    - ``single_label``: no dot (``localhost``);
    - ``idna``: not a valid IDNA 2008 name (e.g. ``_``, a label starting or ending with ``-``, bad punycode);
    - ``label_length`` / ``length``: a label over 63 or the name over 253 characters in ASCII form;
    - ``public_suffix``: not under a known public suffix, or a public suffix itself (``com.cn``).
    """
    raw = text.strip()
    if not raw:
        raise InvalidValue("required", "The domain name is required.", DOMAIN_RULE)
    if _is_ip_address(raw.strip("[]").removesuffix(".")):
        raise InvalidValue(
            "ip_address", "This is an IP address; enter the website's domain name.", DOMAIN_RULE
        )
    if any(char in _NOT_IN_DOMAINS for char in raw):
        raise InvalidValue(
            "format",
            "Enter only the domain name, like www.example.com.cn: no http://, path, port or wildcard.",
            DOMAIN_RULE,
        )
    try:
        mapped = idna.uts46_remap(raw, std3_rules=True)
    except idna.IDNAError:
        raise _idna_error() from None
    name = mapped.removesuffix(".")
    if "" in name.split("."):
        raise InvalidValue(
            "empty_label",
            "The domain name has an empty part: two dots in a row, or a dot at the start.",
            DOMAIN_RULE,
        )
    if "." not in name:
        raise InvalidValue(
            "single_label",
            "A website's domain name has at least two parts, like example.cn.",
            DOMAIN_RULE,
        )
    try:
        ascii_name = idna.encode(name).decode("ascii")
        unicode_name = idna.decode(ascii_name)
    except idna.IDNAError as err:
        raise _idna_error(getattr(err, "code", None)) from None
    parts = _PUBLIC_SUFFIXES(ascii_name)
    if not parts.suffix or not parts.domain:
        raise InvalidValue(
            "public_suffix",
            "The domain name does not end in a known top-level domain, or is only a public suffix such as "
            "com.cn.",
            DOMAIN_RULE,
        )
    return Domain(unicode=unicode_name, ascii=ascii_name, registrable=parts.top_domain_under_public_suffix)


def _idna_error(code: str | None = None) -> InvalidValue:
    mapped = _IDNA_CODES.get(code or "", "idna")
    message = {
        "label_length": (
            f"A part of the domain name between dots is longer than {MAX_LABEL_LENGTH} characters."
        ),
        "length": f"The domain name is longer than {MAX_DOMAIN_LENGTH} characters.",
        "idna": "The domain name contains characters or hyphens that domain names cannot have.",
    }[mapped]
    return InvalidValue(mapped, message, DOMAIN_RULE)


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise InvalidValue(
            "format", "This is not an IPv4 address (1.2.3.4) or IPv6 address (2001:db8::1).", IP_RULE
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise InvalidValue("format", "A website's IPv6 address has no zone (the part after %).", IP_RULE)
    return address


def validate_ip(text: str) -> str:
    """An IPv4 or IPv6 address in its normalised (IPv6 compressed, lower-case) form (R1.8).

    Surrounding whitespace is ignored; IPv4 with leading zeros and IPv6 with a zone (``fe80::1%eth0``) are
    refused. InvalidValue ``format``, rule R1.8.
    """
    return str(_ip(text))


def is_public_ip(text: str) -> bool:
    """True if the address is reachable on the public internet (R1.8): not private, loopback, link-local,
    shared (100.64/10), reserved, unspecified, documentation or multicast. An IPv4-mapped IPv6 address is
    judged by its IPv4 address. Raises InvalidValue ``format`` (R1.8) for text that is not an address."""
    address = _ip(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and not address.is_reserved


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ranges(text: str) -> tuple[Network, ...]:
    """IP ranges from configuration: CIDRs separated by commas or spaces (a provider's own ranges, R1.8, P5; the
    CDN ranges that count as the provider's, X5). ValueError for one that is not a CIDR."""
    return tuple(ipaddress.ip_network(part, strict=False) for part in re.split(r"[,\s]+", text.strip()) if part)


def in_ranges(address: str, ranges: tuple[Network, ...]) -> bool:
    """Whether ``address`` (IPv4 or IPv6 text) lies in one of ``ranges``; an IPv4-mapped IPv6 address is judged
    by its IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in ranges)
