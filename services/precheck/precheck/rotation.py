"""Precheck's personal data at rest, for the key rotation job (``icp-rotate-keys precheck``, issue 8)."""
from precheck.models import Case, Confirmation
from precheck.usecases.common import STORE_CONTEXT, SUBMISSION_CONTEXT
from shared.platform.rotation import sealed_filing, token_column

SEALED = [
    token_column(Case.__table__, "mobile_token", f"{STORE_CONTEXT}.mobile"),
    sealed_filing(Case.__table__, "submission", SUBMISSION_CONTEXT),
    token_column(Confirmation.__table__, "recipient_token", f"{STORE_CONTEXT}.recipient"),
]
