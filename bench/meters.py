"""What the benchmarks measure with: nearest-rank percentiles and the CPU each process (or group of processes)
used, read from /proc, as cores over a phase's wall time."""

import json
import math
import os
import time
from pathlib import Path


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (None when empty)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] if ordered else None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (0.0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def comm_cpu_seconds(comm: str) -> float:
    """CPU time of every local process named ``comm`` seen right now (``beam.smp``: RabbitMQ; ``postgres``: the
    server and its backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


class CpuMeter:
    """Cores used by each meter (name -> seconds of CPU so far) between ``start()`` and ``stop()``, and by the
    bench itself as ``bench_client``."""

    def __init__(self, meters: dict):
        self.meters = meters

    def start(self) -> None:
        self.before = {name: meter() for name, meter in self.meters.items()}
        self.client_before, self.started = time.process_time(), time.monotonic()

    def stop(self) -> dict:
        """Cores used since ``start()`` (may be called more than once: each reading is up to now); the CPU seconds
        themselves are kept in ``self.seconds``."""
        wall = max(time.monotonic() - self.started, 1e-9)
        self.seconds = {name: meter() - self.before[name] for name, meter in self.meters.items()}
        self.seconds["bench_client"] = time.process_time() - self.client_before
        return {name: round(seconds / wall, 2) for name, seconds in self.seconds.items()}


class HubStall:
    """The eventlet hub's longest stall while the ``with`` block runs: a green thread ticks every 10 ms and keeps
    the longest gap between ticks beyond that, i.e. how long nameko could not answer the broker's heartbeats
    (design.md §4). ``seconds`` holds it after the block."""

    def __enter__(self) -> "HubStall":
        import eventlet

        self.seconds, self._done = 0.0, False

        def tick():
            last = time.perf_counter()
            while not self._done:
                eventlet.sleep(0.01)
                now = time.perf_counter()
                self.seconds, last = max(self.seconds, now - last - 0.01), now

        self._ticker = eventlet.spawn(tick)
        return self

    def __exit__(self, *_exc) -> None:
        self._done = True
        self._ticker.wait()


def resident_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS, from /proc; 0.0 where it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def target(name: str, value: float | None, goal: float, note: str = "") -> str:
    """A bench's verdict on one target, for a script to read: ``target NAME: VALUE (goal ≤ LIMIT) met|missed``."""
    verdict = "missed" if value is None or value > goal else "met"
    shown = "n/a" if value is None else f"{value:.3f}"
    return f"target {name}: {shown} (goal ≤ {goal:g}) {verdict}{note}"


def emit(report: dict, path: Path | None) -> None:
    """The report as JSON: the last line of stdout, and ``path`` when given."""
    line = json.dumps(report, ensure_ascii=False)
    if path:
        path.write_text(line + "\n")
    print(line)
