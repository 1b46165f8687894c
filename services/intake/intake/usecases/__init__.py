"""Intake's use cases, one module per requirement (design.md §2): drafts and what a caller sees of a filing
(:mod:`.filings`, P1), submission, changes and cancellation (:mod:`.submission`), the workflow's outcomes on the
timeline (:mod:`.status`, P2–P8), the approved sites (:mod:`.sites`, P8), evidence openings (:mod:`.evidence`, W4,
B1), revisits (:mod:`.revisits`, W5) and the stock's import and re-verification progress (:mod:`.stock`, W6).
Sign-in is :mod:`intake.sign_in` (P1); the stock import's command :mod:`intake.stock` (W6).

Each takes the unit of work (:class:`intake.repository.IntakeUnitOfWork`) and only the collaborators it uses, and
never commits: the entrypoint does (the stock import says why it commits per batch).
"""
