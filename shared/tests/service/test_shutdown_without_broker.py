"""A service stops within its grace period when the broker does not answer (issue 17 point 7,
``shared.platform.consumers``).

Each service runs as a real ``nameko run`` process (``shared.testing.system.Deployment``) whose broker address is
a TCP proxy on loopback in front of this test's vhost. Stopping the proxy closes every connection the service
has and refuses new ones: for the service the broker is gone, while the broker node itself keeps running.
"""
import contextlib
import importlib
import signal
import socket
import subprocess
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import iter_extensions
from nameko.messaging import QueueConsumer as NamekoQueueConsumer

from shared.platform.consumers import QueueConsumer
from shared.testing.system import ALL_SERVICES, STOP_GRACE, Deployment

pytestmark = pytest.mark.service


class TcpProxy:
    """Forwards connections from a loopback port to ``target``. :meth:`stop` shuts the listener and every
    forwarded connection down: the service sees its broker vanish and its reconnects are refused. :meth:`silence`
    keeps every connection open and accepts new ones but forwards nothing more: a broker that does not answer.

    A socket is closed only by the thread that reads it (the test process runs under eventlet, which refuses a
    file descriptor reused while a green thread still waits on it)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = False
        self.silent = False
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        with self.listener:
            while not self.stopped:
                try:
                    client, _ = self.listener.accept()
                except OSError:
                    return
                if self.silent:
                    with self.lock:
                        self.sockets.append(client)
                    threading.Thread(target=self._pipe, args=(client, None), daemon=True).start()
                    continue
                upstream = socket.create_connection(self.target)
                with self.lock:
                    self.sockets += [client, upstream]
                threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket | None) -> None:
        with source:
            try:
                while data := source.recv(65536):
                    if sink is not None and not self.silent:
                        sink.sendall(data)
            except OSError:
                pass

    def silence(self) -> None:
        self.silent = True

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.listener.shutdown(socket.SHUT_RDWR)
        self.acceptor.join(timeout=5)
        with self.lock:
            for each in self.sockets:
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)


def through(proxy: TcpProxy, amqp_uri: str) -> str:
    parts = urlsplit(amqp_uri)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}"))


@pytest.mark.parametrize("service", ALL_SERVICES)
def test_every_consumer_of_a_service_shares_the_one_that_stops_without_a_broker(service):
    service_cls = getattr(importlib.import_module(f"{service}.service"), f"{service.capitalize()}Service")
    container = ServiceContainer(service_cls, {"AMQP_URI": "pyamqp://guest:guest@127.0.0.1/"})
    consumers = {id(extension): extension for bound in [*container.entrypoints, *container.dependencies]
                 for extension in iter_extensions(bound) if isinstance(extension, NamekoQueueConsumer)}
    assert len(consumers) == 1, "events, RPC and RPC replies share one connection"
    assert all(type(consumer) is QueueConsumer for consumer in consumers.values())


# Every service with a broker that refuses; a silent broker for notify (events and RPC) and intake (RPC replies
# too), since the six share the consumer that handles it. The services of one outage run together, each its own
# process, and are stopped at once: each start costs seconds of the suite.
OUTAGES = {"refused": ALL_SERVICES, "silent": ("notify", "intake")}


@pytest.mark.parametrize("outage", sorted(OUTAGES))
def test_sigterm_stops_the_service_within_its_grace_period_while_the_broker_is_unreachable(
    outage, rabbit_config, database_factory, s3_server, tmp_path
):
    broker = urlsplit(rabbit_config["AMQP_URI"])
    proxy = TcpProxy((broker.hostname, broker.port))
    services = OUTAGES[outage]
    deployment = Deployment(services, tmp_path, through(proxy, rabbit_config["AMQP_URI"]), database_factory,
                            env={"LOG_LEVEL": "INFO"}, s3=s3_server)  # the session's S3 server: one fewer start
    try:
        deployment.start()
        time.sleep(2.0)  # their timers and relays have run at least once with the broker there
        proxy.stop() if outage == "refused" else proxy.silence()
        time.sleep(2.0)  # they have noticed, or are waiting for an answer
        started = time.monotonic()
        for service in services:
            deployment.processes[service].send_signal(signal.SIGTERM)
        for service in services:
            process = deployment.processes[service]
            try:
                code = process.wait(timeout=max(0.0, started + STOP_GRACE - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"{service} did not stop within {STOP_GRACE:.0f} s of SIGTERM without a broker:\n"
                            + deployment.log(service).read_text(errors="replace")[-4000:])
            assert code == 0, f"{service}:\n" + deployment.log(service).read_text(errors="replace")[-4000:]
        assert time.monotonic() - started < STOP_GRACE
    finally:
        deployment.stop()
        proxy.stop()
