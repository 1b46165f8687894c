"""Pure facts from the standards and the regulation (design.md §2): no I/O, no network, no clock.

``errors`` (InvalidValue), ``provinces`` (§4), ``identifiers`` (GB 11643, GB 32100, GB 11714, GS 15),
``documents`` (R1.1–R1.5), ``contacts`` (R1.6), ``network`` (R1.7, R1.8), ``filing_numbers`` (P8, §4).
"""
