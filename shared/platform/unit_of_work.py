"""The transaction a use case works in (issue 18; design.md §2, §4): its repositories, the outbox its events go
to, and one commit for both, so that a state change and the events it emits are stored together or not at all.

A service subclasses :class:`SqlUnitOfWork` to add its repositories, built on the same session; its unit tests use
a subclass of :class:`shared.testing.fakes.FakeUnitOfWork` with in-memory repositories instead. A use case
takes the unit of work and only the collaborators it uses, and never commits: the entrypoint does
(:mod:`shared.platform.entrypoints`), except where a use case's docstring says why it must.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import Session

from shared.contracts.envelope import make_envelope
from shared.platform.outbox import enqueue


class SqlOutbox:
    """Events written to the service's ``outbox`` table in the unit of work's transaction; the relay publishes
    them after the commit (:class:`shared.platform.outbox.OutboxRelay`)."""

    def __init__(self, session: Session, table: Table, source: str):
        self.session = session
        self.table = table
        self.source = source

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        """Enqueue ``event_type`` with ``data`` (checked against its contract here, where it is produced)."""
        envelope = make_envelope(event_type, self.source, data, correlation_id, **meta)
        enqueue(self.session, self.table, envelope)
        return envelope


class SqlUnitOfWork:
    """One SQLAlchemy session, its outbox; subclasses add repositories on ``self.session``."""

    def __init__(self, session: Session, outbox: Table, source: str):
        self.session = session
        self.outbox = SqlOutbox(session, outbox, source)

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        return self.outbox.emit(event_type, data, correlation_id, **meta)

    def flush(self) -> None:
        """Send pending writes (so that a constraint refuses them now, inside the use case)."""
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
