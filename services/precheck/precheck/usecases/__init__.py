"""Precheck's use cases, a module per requirement (design.md §2; issue 18), each on a unit of work
(``precheck.repository``) and only the collaborators it uses. The entrypoint commits once, with the outbox rows, so a
decision and its event are one transaction (design.md §4); ``contacts.confirm_contact`` is the one exception.
"""
