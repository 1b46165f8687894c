"""The batch check of the stock as the operator runs it (``python -m audit.cli check-stock``): off a terminal, one
plain line per phase on stderr with its rows and their rate and the estimate of what is left; the run on stdout."""
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from audit.checks import seal_id
from shared.platform.crypto import CryptoConfig
from shared.testing.samples import RESIDENT_ID, SECOND_RESIDENT_ID
from shared.testing.system import REPO

pytestmark = [pytest.mark.integration, pytest.mark.req("P9")]


def test_the_command_shows_each_phase_off_a_terminal(database_factory):
    url = database_factory("audit")
    cipher = CryptoConfig.from_config({}).cipher()  # the development keys, as the command reads them here
    engine = create_engine(url)
    with engine.begin() as connection:
        for i, number in enumerate([RESIDENT_ID, SECOND_RESIDENT_ID, RESIDENT_ID[:-1] + "0"]):
            version, sealed = seal_id(cipher, number)
            connection.execute(text(
                "INSERT INTO stock (filing_id, version, filing_number, provider_id, province, sponsor_kind, "
                "approved_at, document_type, id_key_version, id_sealed, id_hmac, name_token, mobile_token, sites) "
                "VALUES (:f, 1, :n, 'p-1', '京', 'unit', :at, 'resident_id', :v, :s, 'h', 't', 't', '[]')"),
                {"f": f"filing-{i}", "n": f"京ICP备2026{i:06d}号", "at": datetime(2026, 11, 2, tzinfo=UTC),
                 "v": version, "s": sealed})
    engine.dispose()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("FIELD_KEY", "LOOKUP"))}

    done = subprocess.run([sys.executable, "-m", "audit.cli", "check-stock", "--db-url", url], capture_output=True,
                          text=True, timeout=120, env={**environment, "ALLOW_DEV_KEYS": "true"}, cwd=REPO)

    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert (run["rows"], run["flagged"]) == (3, 1)
    steps = [line for line in done.stderr.splitlines() if line.startswith("stock check: ")]
    assert [line.split(" phases ")[0] for line in steps] == [f"stock check: {n}/5" for n in range(1, 6)]
    assert all("phases/s, " in line and " left, " in line for line in steps)
    assert [line.rsplit(", ", 2)[1] for line in steps] == ["read 3 rows", "decrypt 3 rows", "validate 3 rows",
                                                          "tag_check_flagged 1 rows", "write 1 rows"]
    assert all(line.endswith((" rows/s", "at once")) for line in steps)
