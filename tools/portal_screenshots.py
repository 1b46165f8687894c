"""Regenerate the screenshots of every portal page under ``docs/portal/`` (issue 19): runs the portal's browser tests
(``services/portal/tests/browser``), which save each page they check as ``<page>.png`` when ``PORTAL_SCREENSHOTS``
names a folder. Needs what the tests need: RabbitMQ, Debian's chromium (``bin/setup`` installs both).

    .venv/bin/python tools/portal_screenshots.py [pytest options, e.g. --amqp-uri ...]
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "portal"


def main(argv: list[str]) -> int:
    shutil.rmtree(TARGET, ignore_errors=True)  # a page that is gone leaves no stale picture
    TARGET.mkdir(parents=True)
    env = {**os.environ, "PORTAL_SCREENSHOTS": str(TARGET)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv,
                           str(REPO / "services" / "portal" / "tests" / "browser")], cwd=REPO, env=env)
    print(f"{len(list(TARGET.glob('*.png')))} screenshots in {TARGET.relative_to(REPO)}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
