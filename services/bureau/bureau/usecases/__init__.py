"""Bureau use cases by requirement (design.md §2), each a function of a command or an event that takes the unit of
work (``bureau.repository``) and only the collaborators it uses, reads what it needs, decides with the rules of
``bureau.domain``, saves and emits through the unit of work. The entrypoint commits once, with the outbox rows,
so a decision and its events are one transaction (design.md §4). A deployment serves one province (R2.1): its
queues receive only that province's filings, its database holds only them, and an event for another province that
still reaches it is refused.

- :mod:`.receipt`: filings sent to the bureau and cancelled (P8, B1)
- :mod:`.review`: reviewers' queue, approvals with filing numbers, returns (P8)
- :mod:`.evidence`: evidence links and their record (B1)
- :mod:`.deadlines`: review and rectification deadlines, the calendar (P8, A1)
- :mod:`.oversight`: inspections, compliance and penalties (B2, A1)
- :mod:`.public`: the public query (P8)
"""
