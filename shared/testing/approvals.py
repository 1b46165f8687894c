"""Approvals as a provincial bureau publishes them (``filing_approved.v1``, P8), for the filing center's tests:
audit's own, and the portal's browser scenarios, where the bureaus of provinces the test deployment does not run
stand beside its one bureau (the filing center takes every province's approvals)."""
import copy
import uuid
from datetime import datetime, timedelta

from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED, PENALTY_ISSUED
from shared.contracts.intake import personal_paths
from shared.kernel.network import validate_domain
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal
from shared.testing.events import publisher
from shared.testing.samples import ACCESS, resident_id, unit_filing

# The other bureaus' approvals of publish_other_bureaus: province, provider, the site's domain. The first one's
# responsible person is unknown to public security (the filing center's ID check flags it, P9).
OTHER_BUREAUS = (("沪", "provider-b", "sh-b.example.cn"), ("粤", "provider-demo", "gd-demo.example.cn"),
                 ("粤", "provider-b", "gd-b.example.cn"), ("冀", "provider-b", "he-b.example.cn"))
UNKNOWN_PERSON = {"document_number": resident_id("11010519800101001"), "name": "赵六"}


def approved_data(crypto, *, person: dict | None = None, provider_id: str = "provider-test", province: str = "京",
                  approved_at: str = "2026-11-20T09:30:00+08:00", domain: str = "www.example.com.cn") -> dict:
    """A ``filing_approved.v1`` as the bureau publishes it: the filing's personal fields sealed with the exchange
    ring of ``crypto`` (a ``CryptoConfig``; docs/decisions/0001)."""
    filing = unit_filing()
    filing["responsible_person"].update(person or {})
    filing["sponsor"]["province"] = province
    filing["websites"] = [{**filing["websites"][0], "domains": [domain]}]
    filing["sponsor"].setdefault("unit_type", None)
    filing["contacts"].setdefault("home_phone", None)
    for site in filing["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    sealed = seal(filing, personal_paths("unit"), crypto.exchange(), "exchange")
    filing_id = str(uuid.uuid4())
    return {
        "filing_id": filing_id, "version": 1, "provider_id": provider_id, "province": province, "change_of": None,
        "filing_number": f"{province}ICP备2026{uuid.uuid4().int % 1_000_000:06d}号",
        "website_numbers": {validate_domain(domain).ascii: "x-1"}, "approved_at": approved_at,
        "approved_by": f"bureau:{province}:reviewer-1", "filing": {**sealed, "access": copy.deepcopy(ACCESS)},
    }


def publish_other_bureaus(amqp_uri: str, now: datetime) -> None:
    """What the bureaus of provinces a test deployment does not run send the filing center, which takes every
    province's: the approvals of :data:`OTHER_BUREAUS` at ``now``, and a penalty of 京's and of 粤's (A1), each
    published as its bureau publishes it (development keys)."""
    send, crypto = publisher(amqp_uri), CryptoConfig.from_config({})
    for index, (province, provider, domain) in enumerate(OTHER_BUREAUS):
        data = approved_data(crypto, province=province, provider_id=provider, domain=domain,
                             approved_at=now.isoformat(), person=UNKNOWN_PERSON if index == 0 else None)
        send("bureau", FILING_APPROVED, data, data["filing_id"])
    for province, kind in (("京", "rectification_order"), ("粤", "warning")):
        penalty = {**EVENTS.get(PENALTY_ISSUED).sample, "penalty_id": str(uuid.uuid4()), "province": province,
                   "kind": kind, "issued_by": f"bureau:{province}:reviewer-1", "issued_at": now.isoformat(),
                   "rectify_by": (now + timedelta(days=30)).isoformat()}
        send("bureau", PENALTY_ISSUED, penalty, penalty["penalty_id"])
