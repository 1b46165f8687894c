"""Graceful behaviour of a service process (issue 7, design.md §4), shown on ``nameko run`` of
:class:`shared.testing.probes.GracefulProbe` with the real broker:

- SIGTERM: the process stops taking work, finishes the events it holds within the grace period and exits 0; the
  events it had not started wait in the queue; a restart handles them; every event is done exactly once.
- liveness (``/healthz?probe=live``) answers while readiness fails (it uses no database or broker), cannot answer
  while the hub is blocked, and fails right after a stall longer than ``LIVENESS_STALL_SECONDS``.
"""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml
from kombu import Connection
from nameko.standalone.events import event_dispatcher

from shared.platform.events import handler_queue_name
from shared.testing.probes import PROBE_EVENT, PROBE_SOURCE
from shared.testing.system import REPO, free_port

pytestmark = pytest.mark.service

QUEUE = handler_queue_name(PROBE_SOURCE, PROBE_EVENT, "graceful_probe", "on_work")
GRACE_SECONDS = 10.0  # well under terminationGracePeriodSeconds (30) and compose's stop_grace_period (30 s)
WORK_SECONDS = 1.5
WORKERS = 2
STALL_LIMIT = 2.0


class Probe:
    def __init__(self, tmp_path: Path, rabbit_config: dict, **env):
        self.record = tmp_path / "record.txt"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = tmp_path / "config.yaml"
        self.config.write_text(yaml.safe_dump({
            "AMQP_URI": rabbit_config["AMQP_URI"], "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.port}",
            "max_workers": WORKERS, "LIVENESS_STALL_SECONDS": STALL_LIMIT,
        }))
        self.env = {"PROBE_RECORD": str(self.record), "PROBE_WORK_SECONDS": str(WORK_SECONDS), **env}
        self.log = tmp_path / "probe.log"
        self.process = None

    def start(self):
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(self.config),
                 "shared.testing.probes:GracefulProbe"],
                cwd=REPO, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for("the probe answering", lambda: self.live().status_code == 200)
        return self

    def live(self, timeout=2.0):
        try:
            return requests.get(f"{self.url}/healthz?probe=live", timeout=timeout)
        except requests.ConnectionError:
            if self.process.poll() is not None:
                raise AssertionError(f"probe exited:\n{self.log.read_text()[-3000:]}") from None
            return requests.Response()

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds to exit)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"not stopped within {GRACE_SECONDS} s:\n{self.log.read_text()[-3000:]}") from None
        return code, time.monotonic() - started

    def lines(self, verb: str) -> list[str]:
        if not self.record.exists():
            return []
        return [line.split()[1] for line in self.record.read_text().splitlines() if line.startswith(verb + " ")]


def wait_for(what, probe, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def depth(amqp_uri: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(queue=QUEUE, passive=True).message_count


@pytest.fixture
def probe(tmp_path, rabbit_config):
    made = []

    def make(**env):
        made.append(Probe(tmp_path, rabbit_config, **env))
        return made[-1]

    yield make
    for each in made:
        if each.process is not None and each.process.poll() is None:
            each.process.kill()
            each.process.wait()


def test_sigterm_finishes_held_work_leaves_the_rest_queued_and_nothing_is_done_twice(probe, rabbit_config):
    first = probe().start()
    ids = [str(uuid.uuid4()) for _ in range(6)]
    dispatch = event_dispatcher(rabbit_config)
    for event_id in ids:
        dispatch(PROBE_SOURCE, PROBE_EVENT, {"meta": {"id": event_id}, "data": {}})
    wait_for("two events in progress", lambda: len(first.lines("started")) == WORKERS)

    code, seconds = first.terminate()
    assert code == 0
    in_flight = first.lines("started")
    assert sorted(first.lines("done")) == sorted(in_flight), "work in progress at SIGTERM was finished"
    assert seconds >= WORK_SECONDS * 0.5, "it waited for the work it held"
    assert depth(rabbit_config["AMQP_URI"]) == len(ids) - len(in_flight), "the rest waits in the queue"

    second = probe().start()  # same record file
    wait_for("every event done", lambda: len(second.lines("done")) == len(ids))
    assert second.terminate()[0] == 0
    done = Counter(second.lines("done"))
    assert set(done) == set(ids) and set(done.values()) == {1}, f"lost or done twice: {done}"
    assert depth(rabbit_config["AMQP_URI"]) == 0


def test_liveness_ignores_readiness_and_catches_a_stalled_event_loop(probe):
    running = probe(PROBE_READINESS_FAILS="true").start()
    assert requests.get(f"{running.url}/healthz", timeout=5).status_code == 503, "readiness: database down"
    answer = running.live()
    assert answer.status_code == 200 and answer.json()["probe"] == "live", "liveness does not need the database"

    blocker = threading.Thread(target=requests.get, args=(f"{running.url}/block?seconds=4",), kwargs={"timeout": 15})
    late: dict = {}
    queued = threading.Thread(target=lambda: late.update(answer=running.live(timeout=15)))
    blocker.start()
    time.sleep(0.5)
    queued.start()  # waits in the listen backlog until the hub turns again
    time.sleep(0.2)
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{running.url}/healthz?probe=live", timeout=1.0)  # a kubelet probe times out: restart
    blocker.join()
    queued.join()
    assert late["answer"].status_code == 503, "answered just after the stall, it still reports it"
    assert late["answer"].json()["last_heartbeat_lag"] > STALL_LIMIT
    wait_for("liveness back to ok", lambda: running.live().status_code == 200, timeout=5)
    assert running.terminate()[0] == 0
