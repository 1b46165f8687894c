"""precheck_passed.v2 (issue 18): every pass publishes v1 and v2, v2 with the submission passed, sealed for the bus
exactly as intake sent it; the submission is kept sealed at rest meanwhile."""

import pytest

from precheck.usecases.common import SUBMISSION_CONTEXT
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.precheck import PRECHECK_PASSED, PRECHECK_PASSED_V2, PassedSubmissionSchema
from shared.platform.sealing import unseal
from shared.testing.samples import individual_filing

pytestmark = pytest.mark.unit

FILING = "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10"
CHANGE = {"version": 2, "filing_number": "京ICP备2026000001号", "previous_version": 1}


def _opened(submission: dict, cipher, context: str) -> dict:
    """``submission`` (JSON, sealed under ``context``) opened and read as a consumer reads it."""
    return PassedSubmissionSchema().load(unseal(submission, personal_paths(submission["sponsor"]["kind"]), cipher,
                                                context))


@pytest.mark.req("P2")
@pytest.mark.parametrize("changes", [None, CHANGE], ids=["new-filing", "change"])
@pytest.mark.parametrize("sample", [None, individual_filing()], ids=["unit", "individual"])
def test_a_pass_publishes_v1_and_v2_with_the_submission_received(uow, precheck, received, crypto, changes, sample):
    data = received(sample, changes=changes)
    precheck.submit(data)
    for channel, code in precheck.codes().items():
        precheck.confirm(FILING, channel, code)

    assert uow.outbox.types[-2:] == [PRECHECK_PASSED, PRECHECK_PASSED_V2]
    [v1], [v2] = uow.outbox.of_type(PRECHECK_PASSED), uow.outbox.of_type(PRECHECK_PASSED_V2)
    assert {k: v for k, v in v2.items() if k not in ("submission", "mobile")} == {
        k: v for k, v in v1.items() if k != "mobile"}
    cipher = crypto.cipher()
    sent = _opened(PassedSubmissionSchema().dump(data), cipher, SEAL_CONTEXT)
    assert _opened(v2["submission"], cipher, SEAL_CONTEXT) == {**sent, **(changes or {})}
    assert v2["submission"]["filing_number"] == (changes or {}).get("filing_number")


def test_the_submission_is_kept_sealed_under_precheck_s_own_context(uow, precheck, received, crypto):
    data = received()
    precheck.submit(data)
    [case] = uow.cases.rows
    stored = case.submission
    for path in personal_paths("unit"):
        node = stored
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        if node[leaf] is not None:
            assert node[leaf].startswith("v1:"), path
            crypto.cipher().decrypt(node[leaf], context=f"{SUBMISSION_CONTEXT}.{path}")  # opens there only
    assert "13800138000" not in str(stored)
