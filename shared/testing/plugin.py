"""pytest plugin shared by every test tier: markers, per-run PostgreSQL databases, the local S3 server.

Loaded with ``-p shared.testing.plugin`` (pyproject.toml). Each fixture that creates a resource removes it
afterwards (design.md §7: each test run uses its own vhost, database and bucket).

nameko needs eventlet's monkey patch before anything else is imported (design.md §7: plain pytest without it
hangs); this plugin is the first project code pytest loads, so it patches here. The patch also makes psycopg2
cooperative, as ``nameko run`` does for the services.
"""
import eventlet

eventlet.monkey_patch()

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import fnmatch  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from functools import partialmethod  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
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
from shared.testing.system import shares_the_deployment, wait_until  # noqa: E402

# A stopping container's consumer notices its cancelled consumers only when ``drain_events`` returns, after at
# most kombu's 1 s safety interval per round: 3 s per container stop, ~5 min of the suite. Tests poll faster;
# the services keep kombu's interval.
QueueConsumer.run = partialmethod(ConsumerMixin.run, safety_interval=0.1)


DURATIONS = Path(__file__).resolve().parents[2] / "tests" / "durations.json"
SHARED_DEPLOYMENT = "shared deployment"
PARTS = pytest.StashKey[tuple[dict[str, int], int]]()


def pytest_addoption(parser):
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run only the K-th of N shards of the collected tests (bin/test runs N at once)")
    parser.addoption("--record-durations", action="store_true",
                     help=f"update {DURATIONS.name} with the seconds each module run here took")
    parser.addoption("--await-broker", action="store_true",
                     help="wait (up to 90 s) for the broker's management API before the first test: bin/test starts "
                          "each part's RabbitMQ node as the part starts and collects")


def pytest_collection_finish(session):
    """``--await-broker``: the part has collected its tests while its RabbitMQ node booted (``bin/test-broker
    launch``, a few seconds either way); the node answers before the first test, or the run stops naming it."""
    if not session.config.getoption("await_broker"):
        return
    api = session.config.getoption("RABBIT_API_URI").rstrip("/")

    def answers() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{api}/api/overview", timeout=5).ok
        return False

    try:
        wait_until(f"the RabbitMQ node at {api}", answers, timeout=90)
    except TimeoutError as timed_out:
        pytest.exit(f"{timed_out} (bin/test-broker: its server.log)", returncode=3)


def pytest_ignore_collect(collection_path, config):
    """``--shard K/N`` (issue 18): only the K-th of N parts of about equal time is collected; a module of another
    part is not even imported (each part would otherwise import the whole suite, ~8 CPU-seconds). A module stays
    in one part, so its containers start once, and the modules on the system tier's shared deployment
    (``tests/system`` but those that declare ``OWN_DEPLOYMENT = True``) are one group, so ``test_workflow`` still
    checks the deployment after all of them. Each module weighs what ``tests/durations.json`` says it took
    (``--record-durations`` refreshes it), else the mean of its folder's modules there; groups are assigned by
    :func:`assign_parts`."""
    if not collection_path.name.startswith("test_") or collection_path.suffix != ".py":
        return None
    part_of, index = _parts(config)
    if part_of is None:
        return None
    group = _group_of(collection_path, config.rootpath)
    return True if group in part_of and part_of[group] != index else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--shard K/N``: the tests of a module of another part that was collected anyway (pytest collects a module
    the command line names whatever :func:`pytest_ignore_collect` says) are deselected."""
    part_of, index = _parts(config)
    if part_of is None:
        return
    mine = [part_of.get(_group_of(item.path, config.rootpath), index) == index for item in items]
    if not all(mine):
        config.hook.pytest_deselected(items=[item for item, kept in zip(items, mine, strict=True) if not kept])
        items[:] = [item for item, kept in zip(items, mine, strict=True) if kept]


def _parts(config) -> tuple[dict[str, int] | None, int]:
    """The part of each group of the modules the run's arguments name (the same in every part's process), and the
    0-based index of this part; ``(None, 0)`` without ``--shard``."""
    spec = config.getoption("shard")
    if not spec:
        return None, 0
    if PARTS not in config.stash:
        try:
            index, count = (int(part) for part in spec.split("/"))
        except ValueError:
            raise pytest.UsageError(f"--shard {spec!r}: K/N with 1 <= K <= N expected") from None
        if not 1 <= index <= count:
            raise pytest.UsageError(f"--shard {spec!r}: K/N with 1 <= K <= N expected")
        recorded = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
        groups: dict[str, float] = {}
        for path in _test_modules(config):
            group = _group_of(path, config.rootpath)
            groups[group] = groups.get(group, 0.0) + _weight(path.relative_to(config.rootpath).as_posix(), recorded)
        config.stash[PARTS] = assign_parts(groups, count), index - 1
    return config.stash[PARTS]


def _test_modules(config) -> list[Path]:
    """The test modules under the paths the run names (``config.args``: its arguments, else ``testpaths``), in
    folders pytest recurses into (``norecursedirs``)."""
    found = set()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        candidates = path.rglob("test_*.py") if path.is_dir() else [path]
        found.update(p for p in candidates if p.suffix == ".py" and not any(
            fnmatch.fnmatch(part, pattern) for part in p.relative_to(config.rootpath).parts[:-1]
            for pattern in config.getini("norecursedirs")))
    return sorted(found)


def _group_of(path: Path, root: Path) -> str:
    return SHARED_DEPLOYMENT if shares_the_deployment(path) else path.relative_to(root).as_posix()


def _weight(module: str, recorded: dict[str, float]) -> float:
    if module in recorded:
        return recorded[module]
    folder = module.rsplit("/", 1)[0]
    siblings = [seconds for name, seconds in recorded.items() if name.rsplit("/", 1)[0] == folder]
    return sum(siblings) / len(siblings) if siblings else 1.0


def assign_parts(groups: dict[str, float], count: int) -> dict[str, int]:
    """Each group (its seconds) to one of ``count`` parts (0-based): heaviest first, each into the part with the
    least time so far (ties: the lower part, names in order), so the same groups always split the same way."""
    loads, part_of = [0.0] * count, {}
    for group, seconds in sorted(groups.items(), key=lambda entry: (-entry[1], entry[0])):
        lightest = loads.index(min(loads))
        part_of[group], loads[lightest] = lightest, loads[lightest] + seconds
    return part_of


_TOOK: dict[str, float] = {}


def pytest_runtest_logreport(report):
    module = report.nodeid.split("::")[0]
    _TOOK[module] = _TOOK.get(module, 0.0) + report.duration


def pytest_sessionfinish(session):
    """``--record-durations``: this run's modules' seconds into ``tests/durations.json``, under a lock, since
    ``bin/test --record-durations`` runs its parts at once and each writes its own modules."""
    if session.config.getoption("record_durations") and _TOOK:
        DURATIONS.touch()
        with DURATIONS.open("r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            recorded = json.loads(file.read() or "{}")
            recorded.update({module: round(seconds, 2) for module, seconds in _TOOK.items()})
            file.seek(0)
            file.truncate()
            file.write(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")


def pytest_terminal_summary(terminalreporter):
    """Issue 18: what the run cost the broker, printed at its end (``bin/test`` adds up its shards' lines)."""
    terminalreporter.write_line(
        f"service containers started: {RUN_COUNTS['container_starts']}; "
        f"RabbitMQ vhosts created: {RUN_COUNTS['vhosts_created']}")


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config):
    """``--shard``: a part's process ends as soon as pytest is done with it (``os._exit``), skipping the
    interpreter's teardown of a heap the size of a part (~1 GB: seconds of freeing objects one by one, on the
    run's critical path). Nothing needs it: every fixture has cleaned up, the report is written, pytest has
    unconfigured."""
    status = yield
    if config.getoption("shard", None):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(status))
    return status
