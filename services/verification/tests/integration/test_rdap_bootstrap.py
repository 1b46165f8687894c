"""P5: which RDAP server answers for a domain. IANA's bootstrap registry (RFC 9224) as shipped, a newer copy read
from a file, and the per-TLD setting over both; a TLD without RDAP (``.cn``) goes to WHOIS. The registries are
sandbox servers on loopback (shared.testing.registry), named in bootstrap documents the tests write."""
import json
import threading

import pytest

from shared.testing.registry import SAMPLE_OWNERS, serve, serve_whois
from verification.dependencies import Settings
from verification.domain import OwnerOutcome
from verification.registrar import Registrar, bootstrap_servers, load_bootstrap, shipped_bootstrap

pytestmark = [pytest.mark.integration, pytest.mark.req("P5")]

SPONSOR = SAMPLE_OWNERS["example.com.cn"]


@pytest.fixture
def sandbox():
    """The sandbox RDAP and WHOIS servers in this process: ``{"rdap": base URL, "whois": host:port}``."""
    rdap, whois = serve(0, SAMPLE_OWNERS), serve_whois(0, SAMPLE_OWNERS)
    for server in (rdap, whois):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"rdap": f"http://127.0.0.1:{rdap.server_address[1]}/", "whois": f"127.0.0.1:{whois.server_address[1]}"}
    for server in (rdap, whois):
        server.shutdown()
        server.server_close()


def document(*services) -> dict:
    return {"version": "1.0", "publication": "2026-12-01T00:00:00Z", "description": "test", "services": list(services)}


def test_the_bootstrap_format_is_read_with_https_preferred():
    servers = bootstrap_servers(document(
        [["COM", "net"], ["http://rdap.example/", "https://rdap.example/"]],
        [["xn--fiqs8s"], ["http://only-http.example/"]],
        [["empty"], []],
    ))
    assert servers == {"com": "https://rdap.example/", "net": "https://rdap.example/",
                       "xn--fiqs8s": "http://only-http.example/"}


def test_the_shipped_registry_is_ianas_and_has_no_rdap_for_cn():
    registry = shipped_bootstrap()
    assert len(registry) > 500  # every TLD that has RDAP
    assert registry["com"].startswith("https://") and "verisign" in registry["com"]
    assert "cn" not in registry  # CNNIC answers WHOIS only


def test_a_domain_is_asked_at_the_registry_that_the_bootstrap_names(sandbox, tmp_path):
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(document([["cn"], [sandbox["rdap"]]])), encoding="utf-8")
    registrar = Registrar({}, {}, timeout=2, bootstrap=load_bootstrap(path))

    lookup = registrar.lookup("example.com.cn")
    assert (lookup.protocol, lookup.server) == ("rdap", sandbox["rdap"])
    assert lookup.outcome(SPONSOR) is OwnerOutcome.MATCH


def test_the_service_reads_a_newer_registry_from_rdap_bootstrap_file(sandbox, tmp_path):
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(document([["cn"], [sandbox["rdap"]]])), encoding="utf-8")
    config = {"PROVIDER_ID": "provider-test", "PROVIDER_IP_RANGES": "111.13.100.0/24"}

    assert Settings({**config, "RDAP_BOOTSTRAP_FILE": str(path)}).registrar.rdap_server("a.com.cn") == sandbox["rdap"]
    assert Settings(config).registrar.rdap_server("a.com.cn") is None  # IANA's registry has no RDAP for .cn


def test_the_setting_overrides_the_registry(sandbox):
    registry = {"cn": "http://127.0.0.1:9/", "org": "http://127.0.0.1:9/"}
    by_suffix = Registrar({"com.cn": sandbox["rdap"]}, {}, bootstrap=registry)
    assert by_suffix.rdap_server("example.com.cn") == sandbox["rdap"]
    assert by_suffix.rdap_server("example.cn") == "http://127.0.0.1:9/"  # not configured: the registry's
    every_tld = Registrar({"*": sandbox["rdap"]}, {}, bootstrap=registry)
    assert every_tld.rdap_server("example.org") == sandbox["rdap"]
    assert every_tld.lookup("example.com.cn").outcome(SPONSOR) is OwnerOutcome.MATCH


def test_a_tld_without_rdap_is_looked_up_by_whois(sandbox):
    registrar = Registrar({}, {"cn": sandbox["whois"]}, timeout=2, bootstrap=shipped_bootstrap())
    assert registrar.rdap_server("example.com.cn") is None
    lookup = registrar.lookup("example.com.cn")
    assert (lookup.protocol, lookup.server) == ("whois", sandbox["whois"])
    assert lookup.outcome(SPONSOR) is OwnerOutcome.MATCH
