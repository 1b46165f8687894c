"""Routes of events addressed to one deployment among several (``shared.contracts.registry.Route``)."""

from shared.contracts.registry import Route
from shared.kernel.provinces import province_by_abbr

BY_PROVINCE = Route("province", lambda abbr: province_by_abbr(abbr).code)
"""To the bureau of the sponsor's province (R2.1): routing key suffix is the province's GB/T 2260 two-digit code
(``京`` -> ``11``); a bureau binds its configured ``BUREAU_PROVINCE``, a consumer of every province ``{type}.*``."""
