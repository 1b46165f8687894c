"""Verification's use cases by requirement, one function per command or event, collaborators passed in (design.md
§2): :mod:`.window` (P3, W6), :mod:`.onsite` (P3–P6), :mod:`.outcome` (P5–P7), :mod:`.reading` (cases and staff
work, W1), :mod:`.sponsor_file` (W4); what they share is in :mod:`.case`; the department (W1) in
:mod:`verification.department`."""
