"""The shipped config.yaml as ``nameko run`` reads it (environment substituted, then YAML)."""
from pathlib import Path

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser

pytestmark = pytest.mark.unit

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


@pytest.mark.req("P5")
def test_registry_server_lists_with_a_wildcard_are_read_as_text(monkeypatch):
    """``RDAP_SERVERS=*=http://...`` (every TLD to one server, as the demo and the system tests set it) used to stop
    the service at start: substituted into plain YAML, ``*`` starts an alias."""
    monkeypatch.setenv("RDAP_SERVERS", "*=http://127.0.0.1:8088")
    monkeypatch.setenv("WHOIS_SERVERS", "*=127.0.0.1:8043")
    monkeypatch.delenv("VERIFICATION_WINDOW_SECONDS", raising=False)
    setup_yaml_parser()
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert config["RDAP_SERVERS"] == "*=http://127.0.0.1:8088"
    assert config["WHOIS_SERVERS"] == "*=127.0.0.1:8043"
    assert not config["VERIFICATION_WINDOW_SECONDS"]  # unset: the regulation's month (P3)
