"""The operator tasks that were HTTP routes only, as ``icp-ops`` commands against the running services (issue 18):
``icp-ops archive export`` writes a sponsor's file (W4) as the ZIP verification serves, recorded under the token's
subject; ``icp-ops inventory load`` replaces a provider's hosted-site inventory at audit (P10), once however often
it runs. Both take their bearer token from ``ICP_OPS_TOKEN`` and report a refusal with its field errors."""
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
import requests

from shared.testing.http import token
from shared.testing.journey import PROVIDER, Journey

pytestmark = pytest.mark.system

def icp_ops(*args: str, bearer: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.ops.cli", "--json", *args], capture_output=True,
                          timeout=120, env={**os.environ, "ICP_OPS_TOKEN": bearer})


def export(deployment, ref: str, output, bearer: str) -> subprocess.CompletedProcess:
    return icp_ops("archive", "export", ref, "--output", str(output), "--service", deployment.url("verification"),
                   bearer=bearer)


@pytest.fixture(scope="module")
def verified(deployment):
    """A filing approved (its photo, copies and sealed forms kept as evidence): ``(journey, filing, sponsor_ref)``."""
    journey = Journey.of(deployment)
    filing = journey.happy_path()
    yield journey, filing, journey.case(filing)["sponsor_ref"]
    journey.close()


@pytest.mark.req("W4")
def test_archive_export_writes_the_sponsors_file_and_is_recorded(deployment, verified, tmp_path):
    journey, filing, ref = verified
    output = tmp_path / "file.zip"

    done = export(deployment, ref, output, token("supervisor", "head-2", provider=PROVIDER))

    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert said["output"] == str(output) and said["bytes"] == output.stat().st_size
    with zipfile.ZipFile(io.BytesIO(output.read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        objects = [name for name in archive.namelist() if name.startswith("objects/")]
    assert manifest["exported_by"] == "supervisor:head-2"
    assert [case["filing_id"] for case in manifest["cases"]] == [filing.id]
    assert len(objects) == len(manifest["evidence"]) >= 3  # the photo and the two copies at least
    accesses = requests.get(f"{deployment.url('verification')}/archive/{ref}/accesses", timeout=10, headers={
        "Authorization": f"Bearer {journey.supervisor_token}"}).json()["items"]
    assert ("export", "supervisor:head-2") in [(a["action"], a["viewer"]) for a in accesses]


@pytest.mark.req("W4")
def test_archive_export_with_a_token_the_route_refuses_writes_nothing(deployment, verified, tmp_path):
    _journey, _filing, ref = verified
    output = tmp_path / "file.zip"

    done = export(deployment, ref, output, token("onsite_verifier", "verifier-2", provider=PROVIDER))

    assert done.returncode == 1 and not output.exists()
    assert json.loads(done.stdout)["status"] == 403


@pytest.mark.req("P10")
def test_inventory_load_replaces_the_providers_sites_once(deployment, tmp_path):
    inventory = tmp_path / "sites.csv"
    inventory.write_text("domain,note\nexample.com.cn,main\nshop.example.com.cn,\nlisi-blog.cn,\n", encoding="utf-8")
    auditor = token("auditor", "auditor-2")
    load = ("inventory", "load", "provider-ops", str(inventory), "--service", deployment.url("audit"))

    first, again = icp_ops(*load, bearer=auditor), icp_ops(*load, bearer=auditor)

    assert first.returncode == 0, first.stderr
    loaded = json.loads(first.stdout)
    assert (loaded["provider_id"], loaded["sites"]) == ("provider-ops", 3)
    assert json.loads(again.stdout) == loaded  # the same file again: the first answer, nothing replaced twice


@pytest.mark.req("P10")
def test_inventory_load_reports_every_bad_row_by_its_line(deployment, tmp_path):
    inventory = tmp_path / "bad.csv"
    inventory.write_text("domain\nexample.com.cn\nnot a domain\nexample..cn\n", encoding="utf-8")

    done = icp_ops("inventory", "load", "provider-ops", str(inventory), "--service", deployment.url("audit"),
                   bearer=token("auditor", "auditor-2"))

    assert done.returncode == 1
    refused = json.loads(done.stdout)
    assert refused["status"] == 400
    assert [e["field"] for e in refused["error"]["errors"]] == ["row 3.domain", "row 4.domain"]
