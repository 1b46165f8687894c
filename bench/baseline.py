"""What the benchmarks add to ``shared.testing.system`` (which runs the services, their databases, the vhost and the
local S3 server): the bare nameko baselines (``bench/echo_service.py``, ``bench/null_consumer.py``) as ``nameko run``
processes of their own, and how a run's processes stopped, for its report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from shared.testing.system import REPO, Deployment, free_port

BENCH = Path(__file__).resolve().parent
STOP_TIMEOUT = 20.0


class Baseline:
    """``nameko run TARGET`` (a module in ``bench/``) on ``amqp_uri``, with an HTTP port when ``http``; its log is
    ``work/<name>.log``. Started in a session of its own: a Ctrl-C reaches the benchmark only, which stops it."""

    def __init__(self, name: str, target: str, work: Path, amqp_uri: str, *, http: bool = False):
        self.name, self.target, self.work, self.amqp_uri = name, target, work, amqp_uri
        self.port = free_port() if http else None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.work / f"{self.name}.log"

    def start(self) -> Baseline:
        config = self.work / f"{self.name}.yaml"
        config.write_text("AMQP_URI: ${AMQP_URI}\n" + (f"WEB_SERVER_ADDRESS: 127.0.0.1:{self.port}\n" if self.port
                                                         else ""))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(config), self.target],
                cwd=BENCH, env={**os.environ, "AMQP_URI": self.amqp_uri, "PYTHONPATH": f"{BENCH}:{REPO}"},
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with code {self.process.returncode}:\n{tail(self.log)}")

    def stop(self) -> tuple[str, str | None]:
        """:func:`stop_process` of this baseline."""
        return stop_process(self.name, self.process, self.port)


def stop_process(name: str, process: subprocess.Popen, port: int | None = None) -> tuple[str, str | None]:
    """SIGTERM, as a supervisor sends it, and wait; killed after STOP_TIMEOUT. ``nameko run`` runs the stop in a green
    thread, which runs only when the eventlet hub next wakes: a service with nothing scheduled (the bare echo: no
    AMQP, no timers) sleeps through it until some I/O arrives, so its HTTP ``port`` is knocked on while it has not
    gone. Returns (how it stopped, the problem if any)."""
    started, knocks = time.monotonic(), 0
    if process.poll() is not None:
        note = f"{name}: had already exited with code {process.returncode}"
        return note, note
    process.send_signal(signal.SIGTERM)
    while process.poll() is None and time.monotonic() - started < STOP_TIMEOUT:
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            if port:
                knocks += 1
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
        note = f"{name}: did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM; killed"
        return note, note
    note = f"{name}: stopped {time.monotonic() - started:.1f} s after SIGTERM, exit code {process.returncode}"
    if knocks:
        note += f", after {knocks} wake-up connection(s) to its HTTP port"
    return note, None if process.returncode == 0 else f"{name}: exit code {process.returncode}"


def check_alive(deployment: Deployment, *names: str) -> None:
    """Raises, with the end of its log, if one of the deployment's ``names`` has exited."""
    for name in names:
        process = deployment.processes[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}:\n{tail(deployment.log(name))}")


def stop_deployment(deployment: Deployment) -> tuple[list[str], list[str]]:
    """Stop every service (``Deployment.stop``: SIGTERM, killed after its grace); (notes, problems), a service that
    exited with an error code being a problem too."""
    problems = deployment.stop()
    notes = [f"{name}: exit code {process.returncode}" for name, process in deployment.processes.items()]
    problems += [f"{name}: exit code {process.returncode}" for name, process in deployment.processes.items()
                 if process.returncode not in (0, None)]
    return notes, problems


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"
