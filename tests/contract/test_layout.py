"""Issue 18: design.md §2's layout is true of every service (docs/decisions/0005 records where it grew: use
cases and, where large, domain rules are packages by requirement; the unit of work sits beside the repository).
Each service has its entrypoints in ``service.py``, its use cases, pure domain rules that import only the standard
library and ``shared.kernel`` / ``shared.contracts``, records in ``models.py`` and a repository; no product module
is longer than about 400 lines; no use case touches SQLAlchemy."""

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
SERVICES = ["audit", "bureau", "intake", "notify", "precheck", "verification"]
MAX_LINES = 400
PURE = ("shared.kernel", "shared.contracts")


def _package(service: str) -> Path:
    return REPO / "services" / service / service


def _modules(path: Path) -> list[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_has_the_layout_of_design_md(service):
    package = _package(service)
    for name in ("service", "domain", "usecases", "models", "repository", "dependencies", "schemas"):
        assert (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file(), (service, name)


@pytest.mark.parametrize("service", SERVICES)
def test_no_product_module_is_over_400_lines(service):
    long = {str(m.relative_to(REPO)): n for m in _package(service).rglob("*.py")
            if (n := len(m.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_are_pure(service):
    package = _package(service)
    allowed = set(sys.stdlib_module_names)
    for module in _modules(package / "domain"):
        impure = {name for name in _imports(module) if name.split(".")[0] not in allowed
                  and not name.startswith(PURE) and not name.startswith(f"{service}.domain")}
        assert impure == set(), module.relative_to(REPO)


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_do_not_touch_sqlalchemy(service):
    for module in _modules(_package(service) / "usecases"):
        assert not {name for name in _imports(module) if name.split(".")[0] == "sqlalchemy"}, \
            module.relative_to(REPO)
