"""``docs/compliance.md`` stays true: every requirement ID has a row; the tests a row names carry the ID's
marker and every test file that carries it is named; the code it names exists; an ID without tests is
marked open with the issue that will show it."""
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "spec" / "requirements.md"
MATRIX = REPO / "docs" / "compliance.md"
ID = r"(?:R\d\.\d+|P\d+|W\d|B\d|C\d|A\d|X\d+)"


def spec_ids() -> list[str]:
    return sorted(set(re.findall(rf"\*\*({ID})\*\*", SPEC.read_text(encoding="utf-8"))))


def rows() -> dict[str, dict]:
    found = {}
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(ID, cells[0]):
            found[cells[0]] = {
                "status": cells[1],
                "code": re.findall(r"`([^`]+)`", cells[2]),
                "tests": re.findall(r"`([^`]+)`", cells[3]),
            }
    return found


def marked_files(requirement: str) -> set[str]:
    pattern = re.compile(rf"req\([\"']{re.escape(requirement)}[\"']\)")
    return {
        str(path.relative_to(REPO))
        for folder in ("services", "shared", "tests")
        for path in (REPO / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }


def test_the_spec_is_beside_the_checkout():
    assert SPEC.exists(), f"{SPEC} is missing: CI runs with shared/ beside the checkout"
    assert len(spec_ids()) >= 30


def test_the_x_requirements_of_section_5_are_tracked_too():
    """What providers and MIIT run today beyond the 2010 plan (requirements §5) has rows like the plan's rules."""
    assert {f"X{n}" for n in range(1, 10)} <= set(spec_ids())
    assert {f"X{n}" for n in range(1, 10)} <= set(rows())


@pytest.mark.parametrize("requirement", spec_ids() if SPEC.exists() else [])
def test_matrix_row_is_true(requirement):
    row = rows().get(requirement)
    assert row is not None, f"docs/compliance.md has no row for {requirement}"
    marked = marked_files(requirement)
    assert set(row["tests"]) == marked, f"{requirement}: the row must name exactly the test files marked with it"
    for path in row["code"]:
        assert (REPO / path.split("::")[0]).exists(), f"{requirement}: {path} does not exist"
    if marked:
        assert row["status"] == "shown", f"{requirement} has tests: its status is 'shown'"
        assert row["code"], f"{requirement}: name the code that implements it"
    else:
        assert re.fullmatch(r"open \(issue \d+\)", row["status"]), f"{requirement}: no test yet, say which issue"
