"""In-memory stand-ins for the ports a use case takes (issue 18), so that business rules are tested in the unit
tier, in milliseconds. Each fake keeps the port's contract where a use case could notice: the recording outbox
checks every event against its contract as the real outbox does; repositories of a service subclass
:class:`FakeUnitOfWork` in that service's tests.
"""

from __future__ import annotations

from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope


class RecordingOutbox:
    """Keeps every emitted envelope, in order, after checking it against its contract
    (``EventRegistry.validate_outgoing``, as :func:`shared.platform.outbox.enqueue` does)."""

    def __init__(self, source: str):
        self.source = source
        self.envelopes: list[dict] = []

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        envelope = make_envelope(event_type, self.source, data, correlation_id, **meta)
        EVENTS.validate_outgoing(envelope)
        self.envelopes.append(envelope)
        return envelope

    def of_type(self, event_type: str) -> list[dict]:
        """The data of every emitted ``event_type``, in order."""
        return [e["data"] for e in self.envelopes if e["meta"]["type"] == event_type]

    @property
    def types(self) -> list[str]:
        return [e["meta"]["type"] for e in self.envelopes]


class FakeUnitOfWork:
    """A unit of work without a database: a :class:`RecordingOutbox`, and commits counted. Events emitted in a
    unit of work that rolls back are dropped, as the real outbox's rows are."""

    def __init__(self, source: str):
        self.outbox = RecordingOutbox(source)
        self.commits = 0
        self._committed_events = 0

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        return self.outbox.emit(event_type, data, correlation_id, **meta)

    def flush(self) -> None:
        """Nothing is pending in memory."""

    def commit(self) -> None:
        self.commits += 1
        self._committed_events = len(self.outbox.envelopes)

    def rollback(self) -> None:
        del self.outbox.envelopes[self._committed_events:]
