"""Issue 18: ``--shard K/N`` (shared/testing/plugin.py) splits the suite into parts of about equal time, each
module whole, the shared system deployment's tests in one part; bin/test runs the parts at once."""
import subprocess
import sys

import pytest

from shared.testing.plugin import assign_parts
from shared.testing.system import REPO


@pytest.mark.unit
def test_groups_go_heaviest_first_to_the_lightest_part():
    groups = {"shared deployment": 110.0, "a.py": 60.0, "b.py": 50.0, "c.py": 30.0, "d.py": 20.0, "e.py": 1.0}
    parts = assign_parts(groups, 2)
    loads = [sum(seconds for group, seconds in groups.items() if parts[group] == k) for k in range(2)]
    assert parts["shared deployment"] != parts["a.py"] and sorted(loads) == [131.0, 140.0]
    assert assign_parts(groups, 2) == parts  # the same split every time, in every process
    assert set(assign_parts(groups, 3).values()) == {0, 1, 2}


def collect(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args,
                             "tests/system", "shared/tests/unit/test_i18n.py", "services/bureau/tests/service"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def collected_tests(run: subprocess.Popen) -> list[str]:
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0, out[-3000:]
    return [line for line in out.splitlines() if "::" in line]


@pytest.mark.integration
def test_every_test_is_in_exactly_one_part_with_its_module_and_the_shared_deployment_together():
    runs = [collect(), collect("--shard", "1/2"), collect("--shard", "2/2")]  # at once: each is a pytest start-up
    whole, *parts = map(collected_tests, runs)
    assert sorted(parts[0] + parts[1]) == sorted(whole) and not set(parts[0]) & set(parts[1])
    modules = [{test.split("::")[0] for test in part} for part in parts]
    assert not modules[0] & modules[1], "a module split over two parts starts its containers twice"
    shared = {"tests/system/test_workflow.py", "tests/system/test_api_fuzz.py", "tests/system/test_hostile_input.py"}
    assert shared <= modules[0] or shared <= modules[1]
