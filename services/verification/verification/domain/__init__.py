"""Pure rules of on-site verification (P3–P7, R1.8, W1, W4, W6): stdlib and ``shared.kernel`` only (design.md
§2), one module per requirement: the case, its window and its lifecycle (:mod:`.case`, P3–P8, W6), the on-site
check and its verdict (:mod:`.onsite`, P4–P6, R1.8, W3) and the department's filing quality (:mod:`.quality`, W1).

The regulation's numbers are constants beside the rule that uses them: the 1-month window (P3), the 800×600
photo (P4), the 5 years of evidence (W4, in ``shared.platform.storage``). The names below are the ones other
modules read as ``verification.domain.X``.
"""

from verification.domain.case import (
    DEADLINE_KIND,
    OPEN_STATES,
    REMIND_WORKING_DAYS,
    WINDOW_MONTHS,
    CaseState,
    Due,
    Move,
    Raised,
    Window,
    add_months,
    due,
    moved,
    onsite_window,
    stock_window,
    warn_time,
)
from verification.domain.onsite import (
    ACCESS_METHODS,
    CHECKED_FIELDS,
    CORRECTABLE_FIELDS,
    PHOTO_SIZE,
    SECURITY_AGREEMENT_CLAUSE,
    Difference,
    OwnerOutcome,
    blocking_reasons,
    check_access,
    compare_with_originals,
    domain_passed,
    normalise_name,
    normalise_number,
    owner_outcome,
    value_at,
    verdict,
    with_value,
)
from verification.domain.quality import QUALITY_COLUMNS, STAFF_ROLES, Fact, Quality, quality_report, staff_id_of

__all__ = [
    "ACCESS_METHODS", "CHECKED_FIELDS", "CORRECTABLE_FIELDS", "DEADLINE_KIND", "OPEN_STATES", "PHOTO_SIZE",
    "QUALITY_COLUMNS", "SECURITY_AGREEMENT_CLAUSE", "STAFF_ROLES", "REMIND_WORKING_DAYS", "WINDOW_MONTHS", "CaseState",
    "Difference", "Due", "Fact", "Move", "OwnerOutcome", "Quality", "Raised", "Window", "add_months",
    "blocking_reasons", "check_access", "compare_with_originals", "domain_passed", "due", "moved", "normalise_name",
    "normalise_number", "onsite_window", "owner_outcome", "quality_report", "staff_id_of",
    "stock_window", "value_at", "verdict", "warn_time", "with_value",
]
