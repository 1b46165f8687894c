"""Verification's personal data at rest, for the key rotation job (``icp-rotate-keys verification``, issue 8): the
filing as submitted, the sponsor's mobile, and the sealed values of the on-site steps (the originals as read,
each correction's before and after, who signed the security agreement), all under verification's store context."""
from shared.platform.rotation import json_tokens, sealed_filing, token_column
from verification.models import Case, Submission
from verification.usecases.case import STORE_CONTEXT

_CASES = Case.__table__
SEALED = [
    sealed_filing(Submission.__table__, "filing", STORE_CONTEXT),
    token_column(_CASES, "mobile_token", f"{STORE_CONTEXT}.mobile"),
    json_tokens(_CASES, "originals", ("sealed",), f"{STORE_CONTEXT}.originals"),
    json_tokens(_CASES, "corrections", ("before", "after"), f"{STORE_CONTEXT}.correction"),
    json_tokens(_CASES, "agreement", ("signed_by",), f"{STORE_CONTEXT}.agreement"),
]
