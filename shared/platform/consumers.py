"""The one AMQP consumer of a service process, made to stop without a broker (issue 17 point 7, design.md §4).

nameko 2.14's ``QueueConsumer`` (shared by every event handler, RPC entrypoint and RPC reply listener of a
container) stops each entrypoint by asking its consumer thread to cancel the entrypoint's consumer at the broker,
and then waits for that thread to end. While the broker is unreachable that thread sits in kombu's
``ensure_connection``, which retries forever and never gets to the cancellation: SIGTERM then waits until the
orchestrator kills the process; and a broker that holds the connection open but does not answer never confirms a
cancellation. :class:`QueueConsumer` keeps nameko's behaviour while the broker answers. While it is not connected
it drops the entrypoints at once and ends the reconnecting thread; when the broker has not confirmed a
cancellation within :data:`CANCEL_TIMEOUT` it shuts the connection's socket, which turns a silent broker into a
lost connection. Either way nothing is lost: the broker requeues every message this process held when its
connection goes.

:class:`SharedQueueConsumer` is how a service gets it: a dependency in ``ServiceBase`` whose attribute name sorts
before every other dependency, so that its consumer is bound first and nameko's entrypoints bind the same one
(a shared extension is shared by its ``sharing_key``).
"""
import socket
from contextlib import suppress

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider, ProviderCollector
from nameko.messaging import QueueConsumer as NamekoQueueConsumer
from nameko.messaging import QueueConsumerStopped

# Seconds the broker has to confirm that a consumer is cancelled at shutdown; well inside the services' grace
# period (20 s in the system tests, 30 s in compose and Kubernetes).
CANCEL_TIMEOUT = 5.0


class QueueConsumer(NamekoQueueConsumer):
    """nameko's queue consumer that also stops while it has no connection to the broker."""

    def __init__(self):
        super().__init__()
        self._connected = False
        self._connection = None

    @property
    def sharing_key(self):
        return NamekoQueueConsumer  # every nameko consumer of the container binds this one instance

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._connection = connection
        self._connected = True
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def consume(self, *args, **kwargs):
        try:
            yield from super().consume(*args, **kwargs)
        finally:
            self._connected = False
            # Removals asked for while connected were waiting for the next drain: nothing to cancel any more.
            self._cancel_pending_removals()

    def _cancel_pending_removals(self) -> None:
        pending, self._pending_remove_providers = self._pending_remove_providers, {}
        for provider, removed in pending.items():
            self._consumers.pop(provider, None)
            removed.send()

    def unregister_provider(self, provider):
        if not self._consumers_ready.ready():
            super().unregister_provider(provider)
            return
        if self._connected:
            removed = Event()
            self._pending_remove_providers[provider] = removed  # cancelled by the consumer thread's next drain
            with eventlet.Timeout(CANCEL_TIMEOUT, False):
                removed.wait()
            if not removed.ready():
                self._drop_connection()
        self._consumers.pop(provider, None)
        ProviderCollector.unregister_provider(self, provider)

    def _drop_connection(self) -> None:
        """Shut the socket of a connection whose broker does not answer: the consumer thread's blocked read ends
        with a lost connection, and it does not reconnect."""
        self.should_stop = True
        connection = self._connection
        if connection is None or not connection.connected:
            return
        sock = getattr(connection.connection.transport, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        if self._consumers_ready.ready() and not self._connected and not self._gt.dead:
            # The thread is waiting to reconnect: end it rather than wait for a broker that may not come back.
            self.should_stop = True
            self._gt.kill(QueueConsumerStopped())
        super().stop()


class SharedQueueConsumer(DependencyProvider):
    """Binds :class:`QueueConsumer` before any entrypoint binds nameko's (see the module docstring); workers get
    nothing from it."""

    queue_consumer = QueueConsumer()

    def get_dependency(self, worker_ctx) -> None:
        return None
