"""Pure rules of the intake service, one module per requirement (design.md §2: stdlib and ``shared.kernel``
only, no I/O): the filing and its transitions (:mod:`.filing`), what a complete filing is and its canonical form
(:mod:`.filing_data`, R1.1–R1.8), the guide and the contract clause (:mod:`.guide`, W2, W3), the approved sites
(:mod:`.sites`, P8), revisits (:mod:`.revisits`, W5) and the stock's rows (:mod:`.stock`, W6).

The names below are the ones other modules read as ``intake.domain.X`` (the stock job, the contract tests)."""

from intake.domain.filing import FilingState
from intake.domain.filing_data import ACCESS_METHODS, SCAN_KINDS, normalise, normalise_typed, validate_filing
from intake.domain.guide import CONTRACT_CLAUSE, CONTRACT_CLAUSE_SHA256, document_guide
from intake.domain.sites import nginx_map, website_numbers
from intake.domain.stock import STOCK_COLUMNS, stock_filing_number, stock_header_problems, stock_row

__all__ = [
    "ACCESS_METHODS", "CONTRACT_CLAUSE", "CONTRACT_CLAUSE_SHA256", "SCAN_KINDS", "STOCK_COLUMNS", "FilingState",
    "document_guide", "nginx_map", "normalise", "normalise_typed", "stock_filing_number", "stock_header_problems",
    "stock_row", "validate_filing", "website_numbers",
]
