"""Refresh the tests column of docs/compliance.md from the ``@pytest.mark.req`` markers in the tree.

``python tools/compliance.py`` rewrites the column; the status and code columns stay as written, and
``tests/contract/test_compliance.py`` checks all three.
"""
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MATRIX = REPO / "docs" / "compliance.md"
ID = r"(?:R\d\.\d+|P\d+|W\d|B\d|C\d|A\d|X\d+)"


def marked_files(requirement: str) -> list[str]:
    pattern = re.compile(rf"req\([\"']{re.escape(requirement)}[\"']\)")
    return sorted(
        str(path.relative_to(REPO))
        for folder in ("services", "shared", "tests")
        for path in (REPO / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    )


def refreshed(line: str) -> str:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 4 or not re.fullmatch(ID, cells[0]):
        return line
    cells[3] = " ".join(f"`{path}`" for path in marked_files(cells[0]))
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    lines = MATRIX.read_text(encoding="utf-8").splitlines()
    MATRIX.write_text("\n".join(refreshed(line) for line in lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
