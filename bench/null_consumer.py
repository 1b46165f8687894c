"""The bare baseline for ``bench/precheck_drain.py``: a nameko service with one ``@event_handler`` that does
nothing, run as its own ``nameko run`` process (design.md §7: a benchmark's figure is a ratio against a
baseline measured in the same run).

It listens where precheck listens: events from ``intake`` (exchange ``intake.events``, topic, durable) with
routing key ``filing_submitted.v1``, as a service-pool handler with ``requeue_on_error=True`` and nameko's
default worker pool and prefetch, like ``PrecheckService.on_filing_submitted``. Nothing of the project is used
on purpose (no contract validation, no database, no dependencies): the ratio isolates what precheck adds on top
of nameko receiving, decoding and acknowledging the same messages.
"""

from nameko.events import event_handler


class NullConsumer:
    name = "bench_null"

    @event_handler("intake", "filing_submitted.v1", requeue_on_error=True)
    def on_event(self, envelope):
        pass
