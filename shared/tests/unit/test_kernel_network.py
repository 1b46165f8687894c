"""shared.kernel.network: website domains (R1.7) and IP addresses (R1.8), IDNs in both forms (§4)."""

import subprocess
import sys
import textwrap

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.network import Domain, is_public_ip, normalise_typed_host, validate_domain, validate_ip


def error(call) -> tuple[str, str]:
    with pytest.raises(InvalidValue) as caught:
        call()
    return caught.value.code, caught.value.rule


@pytest.mark.unit
@pytest.mark.req("R1.7")
@pytest.mark.parametrize(
    ("text", "unicode", "ascii", "registrable"),
    [
        ("www.example.com.cn", "www.example.com.cn", "www.example.com.cn", "example.com.cn"),
        (" Example.COM. ", "example.com", "example.com", "example.com"),
        ("例子.中国", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("例子。中国", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),  # ideographic stop
        ("例子.中国.", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("xn--fsqu00a.xn--fiqs8s", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("bücher.de", "bücher.de", "xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("BÜCHER.de", "bücher.de", "xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("faß.de", "faß.de", "xn--fa-hia.de", "xn--fa-hia.de"),  # IDNA 2008 keeps ß
        ("www.政府.cn", "www.政府.cn", "www.xn--mxtq1m.cn", "xn--mxtq1m.cn"),
        ("a.b.c.example.co.uk", "a.b.c.example.co.uk", "a.b.c.example.co.uk", "example.co.uk"),
        ("blog.example.github.io", "blog.example.github.io", "blog.example.github.io", "github.io"),
        ("x" * 63 + ".cn", "x" * 63 + ".cn", "x" * 63 + ".cn", "x" * 63 + ".cn"),
    ],
)
def test_valid_domains_in_both_forms_with_registrable_domain(text, unicode, ascii, registrable):
    assert validate_domain(text) == Domain(unicode=unicode, ascii=ascii, registrable=registrable)


@pytest.mark.unit
@pytest.mark.req("R1.7")
def test_longest_domain_is_accepted():
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 58, "cn"])
    assert len(name) == 253
    assert validate_domain(name).ascii == name


@pytest.mark.unit
@pytest.mark.req("R1.7")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("http://example.com", "format"),
        ("example.com/path", "format"),
        ("example.com:8080", "format"),
        ("*.example.com", "format"),
        ("user@example.com", "format"),
        ("example.com?a=1", "format"),
        ("1.2.3.4", "ip_address"),
        ("192.168.1.1.", "ip_address"),
        ("[::1]", "ip_address"),
        ("2001:db8::1", "ip_address"),
        ("localhost", "single_label"),
        ("中国", "single_label"),
        ("a..b.com", "empty_label"),
        (".example.com", "empty_label"),
        ("example.com..", "empty_label"),
        (".", "empty_label"),
        ("foo_bar.com", "idna"),
        ("-foo.com", "idna"),
        ("foo-.com", "idna"),
        ("ab--cd.com", "idna"),
        ("xn--abc.com", "idna"),  # bad punycode
        ("exa mple.com", "idna"),
        ("例子．中国／", "idna"),  # full-width slash maps to a character domains cannot have
        ("x" * 64 + ".cn", "label_length"),
        ("例" * 60 + ".cn", "label_length"),  # 63 octets are counted in punycode
        (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 59, "cn"]), "length"),
        ("com.cn", "public_suffix"),
        ("example.invalidtld", "public_suffix"),
        ("example.local", "public_suffix"),
    ],
)
def test_invalid_domains_are_refused_with_a_distinct_code(text, code):
    assert error(lambda: validate_domain(text)) == (code, "R1.7")


@pytest.mark.unit
@pytest.mark.req("R1.7")
def test_public_suffix_list_is_read_offline_only():
    """With every socket refused, validating a domain still works: the bundled snapshot is used."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise AssertionError("network used")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from shared.kernel.network import validate_domain

        print(validate_domain("www.例子.中国").registrable, validate_domain("a.example.com.cn").registrable)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["xn--fsqu00a.xn--fiqs8s", "example.com.cn"]


@pytest.mark.unit
@pytest.mark.req("R1.8")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.8.8.8", "8.8.8.8"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2400:3200::1", "2400:3200::1"),
        ("::ffff:8.8.8.8", "::ffff:808:808"),
    ],
)
def test_valid_ip_addresses_are_normalised(text, expected):
    assert validate_ip(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.8")
@pytest.mark.parametrize(
    "text", ["", "abc", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4/24", "fe80::1%eth0", "::g"]
)
def test_invalid_ip_addresses(text):
    assert error(lambda: validate_ip(text)) == ("format", "R1.8")


@pytest.mark.unit
@pytest.mark.req("R1.8")
@pytest.mark.parametrize(
    ("text", "public"),
    [
        ("8.8.8.8", True),
        ("114.114.114.114", True),
        ("2400:3200::1", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("10.0.0.1", False),  # private
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),  # loopback
        ("169.254.1.1", False),  # link-local
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),  # unspecified
        ("192.0.2.1", False),  # documentation
        ("224.0.0.1", False),  # multicast
        ("239.255.255.250", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),  # unique local
        ("ff02::1", False),  # multicast
        ("2001:db8::1", False),  # documentation
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
    ],
)
def test_public_ip_addresses(text, public):
    assert is_public_ip(text) is public


@pytest.mark.unit
@pytest.mark.req("R1.8")
def test_is_public_ip_refuses_text_that_is_not_an_address():
    assert error(lambda: is_public_ip("example.com")) == ("format", "R1.8")


@pytest.mark.unit
@pytest.mark.req("R1.7")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ．ｃｎ ", "www.example.com.cn"),
        ("\u3000例子.中国", "例子.中国"),
        ("１１１．１３．１００．９１", "111.13.100.91"),
    ],
)
def test_typed_hosts_are_normalised_once(text, expected):
    assert normalise_typed_host(text) == expected
