"""Issue 8: schemathesis against the ``/openapi.json`` of every HTTP service running as a real process (the system
deployment): generated requests to every operation, with a bearer token of a role that may call all of them, and
zero server errors and zero responses that break the documented schema.

Each run has the coverage phase (every operation's boundary values and wrong types, deterministic: about 1,100
cases for intake) and the fuzzing phase, :data:`SUITE_EXAMPLES` random cases per operation in the suite (issue 18:
at 20 the fuzzing was half of this module's ~60 CPU-seconds); ``ICP_FUZZ_FULL=1`` runs :data:`FULL_EXAMPLES`
(issue 8's bar)::

    ICP_FUZZ_FULL=1 .venv/bin/python -m pytest -s tests/system/test_api_fuzz.py
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.testing.http import sponsor_token, token

pytestmark = pytest.mark.system

FULL_EXAMPLES = 200
SUITE_EXAMPLES = 10
CHECKS = "not_a_server_error,response_schema_conformance"
PROVIDER = "provider-demo"  # intake's default PROVIDER_ID: staff of this deployment's provider

CALLERS = {
    "intake": lambda: sponsor_token(),
    "precheck": lambda: token("precheck", "fuzz-1", provider=PROVIDER),
    "notify": lambda: token("ops", "fuzz-ops", provider=PROVIDER),
    "verification": lambda: token("supervisor", "fuzz-supervisor", provider=PROVIDER),
    "bureau": lambda: token("reviewer", "fuzz-reviewer", province="京"),  # the deployment's bureau is 京's
    "audit": lambda: token("auditor", "fuzz-auditor"),
}


def _examples() -> int:
    return FULL_EXAMPLES if os.environ.get("ICP_FUZZ_FULL") else SUITE_EXAMPLES


@pytest.mark.req("W4")
@pytest.mark.parametrize("service", sorted(CALLERS))
def test_generated_requests_meet_no_server_error_and_the_documented_schema(deployment, service, tmp_path):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis (requirements-dev.lock) provides the st command"
    examples = _examples()
    result = subprocess.run(
        [st, "run", f"{deployment.url(service)}/openapi.json", "--checks", CHECKS, "--max-examples", str(examples),
         "--phases", "examples,coverage,fuzzing", "--seed", "8", "--request-timeout", "20",
         "--header", f"Authorization: Bearer {CALLERS[service]()}", "--no-color", "--warnings", "off"],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )
    summary = result.stdout[-3000:]
    print(f"\n--- schemathesis {service}, --max-examples {examples} ---\n{summary}")
    assert result.returncode == 0, summary
    assert re.search(r"\b\d+ passed\b", summary), summary
