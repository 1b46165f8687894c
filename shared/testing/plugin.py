"""pytest plugin shared by every test tier: markers, per-run PostgreSQL databases, the local S3 server.

Loaded with ``-p shared.testing.plugin`` (pyproject.toml). Each fixture that creates a resource removes it
afterwards (design.md §7: each test run uses its own vhost, database and bucket).

nameko needs eventlet's monkey patch before anything else is imported (design.md §7: plain pytest without it
hangs); this plugin is the first project code pytest loads, so it patches here. The patch also makes psycopg2
cooperative, as ``nameko run`` does for the services.
"""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
from functools import partialmethod  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from kombu.mixins import ConsumerMixin  # noqa: E402
from nameko.messaging import QueueConsumer  # noqa: E402

from shared.testing.clock import clock  # noqa: E402, F401
from shared.testing.containers import (  # noqa: E402, F401  fixtures
    RUN_COUNTS,
    clean_slate,
    module_container,
    module_web_config,
    run_database,
    run_vhost,
)
from shared.testing.databases import database_factory  # noqa: E402, F401
from shared.testing.s3 import *  # noqa: E402, F403  fixtures
from shared.testing.system import on_shared_deployment  # noqa: E402

# A stopping container's consumer notices its cancelled consumers only when ``drain_events`` returns, after at
# most kombu's 1 s safety interval per round: 3 s per container stop, ~5 min of the suite. Tests poll faster;
# the services keep kombu's interval.
QueueConsumer.run = partialmethod(ConsumerMixin.run, safety_interval=0.1)


# Seconds a test of each tier takes on a 2-core machine (a full run's mean, issue 18): the estimate for a module
# that DURATIONS does not list yet.
TIER_SECONDS = {"system": 5.2, "service": 1.3, "integration": 0.3, "unit": 0.015, "contract": 0.006}
DURATIONS = Path(__file__).resolve().parents[2] / "tests" / "durations.json"


def pytest_addoption(parser):
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run only the K-th of N shards of the collected tests (bin/test runs N at once)")
    parser.addoption("--record-durations", action="store_true",
                     help=f"update {DURATIONS.name} with the seconds each module run here took (run without --shard)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--shard K/N`` (issue 18): keeps the K-th of N parts of about equal time. A module stays in one part, so its
    containers start once, and the system tests on the shared deployment (``tests/system``) are one part of their
    own, in their order, so ``test_workflow`` still checks the deployment after all of them. Each module weighs
    what ``tests/durations.json`` says it took (``--record-durations`` refreshes it), else an estimate by its
    tier; the parts are filled heaviest first, each into the lightest part so far; the tests keep their order."""
    spec = config.getoption("shard")
    if not spec:
        return
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard {spec!r}: K/N with 1 <= K <= N expected") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--shard {spec!r}: K/N with 1 <= K <= N expected")
    recorded = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
    groups: dict[str, float] = {}
    for module, members in _modules(items).items():
        seconds = recorded.get(module, sum(_estimate(item) for item in members))
        groups[_group(members[0])] = groups.get(_group(members[0]), 0.0) + seconds
    part_of = assign_parts(groups, count)
    kept = [item for item in items if part_of[_group(item)] == index - 1]
    config.hook.pytest_deselected(items=[item for item in items if part_of[_group(item)] != index - 1])
    items[:] = kept


def assign_parts(groups: dict[str, float], count: int) -> dict[str, int]:
    """Each group (its seconds) to one of ``count`` parts (0-based): heaviest first, each into the part with the
    least time so far (ties: the lower part, names in order), so the same groups always split the same way."""
    loads, part_of = [0.0] * count, {}
    for group, seconds in sorted(groups.items(), key=lambda entry: (-entry[1], entry[0])):
        lightest = loads.index(min(loads))
        part_of[group], loads[lightest] = lightest, loads[lightest] + seconds
    return part_of


def _modules(items) -> dict[str, list]:
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    return modules


def _group(item) -> str:
    return "shared deployment" if on_shared_deployment(item) else item.nodeid.split("::")[0]


def _estimate(item) -> float:
    return max((seconds for tier, seconds in TIER_SECONDS.items() if item.get_closest_marker(tier)), default=0.1)


_TOOK: dict[str, float] = {}


def pytest_runtest_logreport(report):
    module = report.nodeid.split("::")[0]
    _TOOK[module] = _TOOK.get(module, 0.0) + report.duration


def pytest_sessionfinish(session):
    if session.config.getoption("record_durations") and _TOOK:
        recorded = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
        recorded.update({module: round(seconds, 2) for module, seconds in _TOOK.items()})
        DURATIONS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    """Issue 18: what the run cost the broker, printed at its end (``bin/test`` adds up its shards' lines)."""
    terminalreporter.write_line(
        f"service containers started: {RUN_COUNTS['container_starts']}; "
        f"RabbitMQ vhosts created: {RUN_COUNTS['vhosts_created']}")
