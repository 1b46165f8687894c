"""The bureau's personal data at rest, for the key rotation job (``icp-rotate-keys bureau``, issue 8): each review's
filing, and the before and after of every on-site correction, both sealed with the bureau's own keys."""
from bureau.models import Review
from bureau.usecases.common import CORRECTION_CONTEXT, FILING_CONTEXT
from shared.platform.rotation import json_tokens, sealed_filing

SEALED = [
    sealed_filing(Review.__table__, "filing", FILING_CONTEXT),
    json_tokens(Review.__table__, "corrections", ("before", "after"), CORRECTION_CONTEXT),
]
